"""Read files written for a newer Python than the one wardgate runs on.

Python 3.12's type parameters (PEP 695: `type Alias = ...`, `def f[T](...)`, `class C[T: Model](Base)`) and
3.14's unparenthesised `except A, B:` (PEP 758) do not parse on 3.11, yet they change nothing the checks look
at. `rewrite` turns them into 3.11 syntax token by token and keeps every line where it was (columns may move
within a changed line), so findings point at the real code. Other newer syntax (PEP 701 f-strings, a type
parameter list spread over several lines) is left alone: the file stays unparsed and reported (WG006).
"""
from __future__ import annotations

import ast
import io
import tokenize
import warnings

_SKIP = (tokenize.NL, tokenize.COMMENT)
_STATEMENT_START = (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)


def rewrite(text: str) -> tuple[str, list[str]] | None:
    """(3.11 source with the same lines, the kinds of syntax rewritten), or None when nothing here helps."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type not in _SKIP]
    except (tokenize.TokenError, SyntaxError):
        return None
    edits: list[tuple[tuple[int, int], tuple[int, int], str]] = []
    kinds: set[str] = set()
    for k, tok in enumerate(tokens):
        nxt = tokens[k + 1:k + 3]
        starts = k == 0 or tokens[k - 1].type in _STATEMENT_START or tokens[k - 1].string == ";"
        if tok.type == tokenize.NAME and tok.string == "type" and starts and len(nxt) == 2 \
                and nxt[0].type == tokenize.NAME and nxt[1].string in ("=", "["):
            edits.append((tok.start, nxt[0].start, ""))  # `type Alias = X` -> `Alias = X`
            if nxt[1].string == "[" and not _drop_brackets(tokens, k + 2, edits):
                return None
            kinds.add("PEP 695 type statements")
        elif tok.type == tokenize.NAME and tok.string in ("def", "class") and len(nxt) == 2 \
                and nxt[0].type == tokenize.NAME and nxt[1].string == "[":
            if not _drop_brackets(tokens, k + 2, edits):
                return None
            kinds.add("PEP 695 type parameters")
        elif tok.type == tokenize.NAME and tok.string == "except" and starts:
            if _python2_binding(tokens, k):
                return None  # `except IOError, e:` is Python 2 binding `e`, not 3.14 catching two classes
            if _parenthesise_except(tokens, k, edits):
                kinds.add("PEP 758 except clauses")
    if not edits:
        return None
    out = _apply(text, edits)
    return (out, sorted(kinds)) if parses(out) else None


def parses(text: str) -> bool:
    """The running interpreter's parser accepts `text` (a rewrite that does not is of no use)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True


def _drop_brackets(tokens: list[tokenize.TokenInfo], open_at: int, edits: list) -> bool:
    """Remove the `[...]` opening at `open_at` when it sits on one line."""
    depth = 0
    for j in range(open_at, len(tokens)):
        s = tokens[j].string
        depth += s in ("[", "(", "{")
        depth -= s in ("]", ")", "}")
        if depth == 0:
            if tokens[j].end[0] != tokens[open_at].start[0]:
                return False
            edits.append((tokens[open_at].start, tokens[j].end, ""))
            return True
    return False


def _python2_binding(tokens: list[tokenize.TokenInfo], at: int) -> bool:
    """`except IOError, e:` / `except socket.error, exc:`: one class, then a lower-case bare name ending the
    clause. PEP 758 lists exception classes (`except ValueError, TypeError:`); Python 2 named the caught one."""
    clause: list[tokenize.TokenInfo] = []
    for tok in tokens[at + 1:]:
        if tok.string == ":" or tok.type == tokenize.NEWLINE:
            break
        clause.append(tok)
    if len(clause) < 3 or clause[-2].string != "," or [t.string for t in clause].count(",") != 1:
        return False
    last = clause[-1]
    return last.type == tokenize.NAME and last.string[:1].islower() and last.string != "as"


def _parenthesise_except(tokens: list[tokenize.TokenInfo], at: int, edits: list) -> bool:
    """`except A, B:` / `except* A, B as e:` -> `except (A, B):`; False when there is nothing to do."""
    first = at + 1 + (tokens[at + 1].string == "*")
    depth, comma = 0, False
    for j in range(first, len(tokens)):
        s = tokens[j].string
        if depth == 0 and (s == ":" or (tokens[j].type == tokenize.NAME and s == "as")):
            if comma:
                edits.append((tokens[first].start, tokens[first].start, "("))
                edits.append((tokens[j - 1].end, tokens[j - 1].end, ")"))
            return comma
        depth += s in ("[", "(", "{")
        depth -= s in ("]", ")", "}")
        comma |= depth == 0 and s == ","
    return False


def _apply(text: str, edits: list[tuple[tuple[int, int], tuple[int, int], str]]) -> str:
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(pos: tuple[int, int]) -> int:
        return starts[pos[0] - 1] + pos[1]

    out = text
    for start, end, new in sorted(edits, key=lambda e: (offset(e[0]), offset(e[1])), reverse=True):
        out = out[:offset(start)] + new + out[offset(end):]
    return out
