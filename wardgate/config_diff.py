"""What a change does to the gate's configuration, in words ("PR excludes clinic/** from analysis").

Both sides are validated `Config`s (the trusted one from BASE, the change's from the working tree);
they are compared key by key on their JSON form, so a key added later is reported too (generically).
Only `jobs` is left out: it changes speed, never the verdict.
"""
from __future__ import annotations

from typing import Any

from checks.finding import Severity

from .config import Config

_IGNORED = frozenset({"jobs"})
_RANK = {s.value: s.rank for s in Severity}


def describe(base: Config, head: Config) -> list[tuple[str, str]]:
    """(dotted key, sentence) for every difference between `base` and `head`."""
    old, new = _flat(base.model_dump(mode="json")), _flat(head.model_dump(mode="json"))
    out: list[tuple[str, str]] = []
    for key in sorted(set(old) | set(new)):
        if key.split(".", 1)[0] in _IGNORED or old.get(key) == new.get(key):
            continue
        out.extend((key, s) for s in _sentences(key, old.get(key), new.get(key)))
    return out


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts to dotted keys; lists stay values (compared as lists, or item by item)."""
    if isinstance(data, dict) and not (prefix and prefix.rstrip(".").endswith(("max_per_category",
                                                                               "max_per_severity"))):
        out: dict[str, Any] = {}
        for k, v in data.items():
            out.update(_flat(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): data}


def _sentences(key: str, old: Any, new: Any) -> list[str]:
    if key == "exclude":
        return [f"PR excludes {p} from analysis" for p in _added(old, new)] + \
               [f"PR stops excluding {p}" for p in _added(new, old)]
    if key == "disable":
        return [f"PR disables rules {p}*" for p in _added(old, new)] + \
               [f"PR re-enables rules {p}*" for p in _added(new, old)]
    if key == "default_excludes":
        return [f"PR turns the default excludes {'on' if new else 'off'}"]
    if key == "fail_on":
        weaker = _RANK.get(str(new), 0) > _RANK.get(str(old), 0)
        return [f"PR {'lowers' if weaker else 'raises'} fail_on from {old} to {new}"]
    if key == "max_file_size":
        verb = "lowers" if (new or 0) < (old or 0) else "raises"
        return [f"PR {verb} max_file_size from {old:,} to {new:,} bytes"]
    if key == "suppressions":
        return [f"PR adds a suppression of {e.get('rule')} for {e.get('path')!r} (reason: {e.get('reason')!r}, "
                f"{'expires ' + str(e['expires']) if e.get('expires') else 'no expiry'})" for e in _added(old, new)] + \
               [f"PR removes the suppression of {e.get('rule')} for {e.get('path')!r}" for e in _added(new, old)]
    if key.startswith("rules.") and key.endswith(".enabled"):
        rule = key[len("rules."):-len(".enabled")]
        return [f"PR {'enables' if new in (True, None) else 'disables'} rule {rule}"]
    if key.startswith("rules.") and key.endswith(".severity"):
        return [f"PR changes the severity of {key[6:-9]} from {old or 'its default'} to {new or 'its default'}"]
    if key.startswith("tools.") and key.endswith(".enabled"):
        return [f"PR turns {'on' if new in (True, None) else 'off'} the {key.split('.')[1]} tool"]
    if key.startswith("llm.") and key.rsplit(".", 1)[-1] in ("base_url", "api_key_env", "provider", "model"):
        return [f"PR points the LLM reviewer's {key[4:]} at {new!r} (was {old!r})"]
    return [f"PR changes {key} from {_show(old)} to {_show(new)}"]


def _added(old: Any, new: Any) -> list[Any]:
    old_items = old if isinstance(old, list) else []
    return [x for x in (new if isinstance(new, list) else []) if x not in old_items]


def _show(value: Any) -> str:
    return "(unset)" if value is None else repr(value)
