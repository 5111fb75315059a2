#!/bin/bash
# usage: extract.sh GITDIR COMMIT DEST  -- writes every blob that is present; lists missing ones on stderr
set -u
G=$1; C=$2; D=$3
mkdir -p "$D"
git --git-dir="$G" ls-tree -r "$C" | while IFS=$'\t' read -r meta path; do
  set -- $meta; mode=$1; type=$2; obj=$3
  [ "$type" = blob ] || continue
  mkdir -p "$D/$(dirname "$path")"
  if [ "$mode" = 120000 ]; then
    tgt=$(git --git-dir="$G" cat-file blob "$obj" 2>/dev/null) && ln -sf "$tgt" "$D/$path" || echo "missing $path" >&2
  else
    git --git-dir="$G" cat-file blob "$obj" > "$D/$path" 2>/dev/null || { rm -f "$D/$path"; echo "missing $path" >&2; }
  fi
done
