"""Showing a secret without revealing it: reports, snippets and LLM requests never carry the value."""
from __future__ import annotations

import math
from collections import Counter


def mask(value: str) -> str:
    """`sk_live_51FAKE…` -> `sk_l…(43 chars)`: enough to find it, useless to an attacker."""
    keep = 4 if len(value) >= 16 else 0
    return f"{value[:keep]}…({len(value)} chars)"


def mask_in(text: str, value: str) -> str:
    """Mask `value` in `text`; a multi-line value (a key block) is masked line by line."""
    if not value:
        return text
    if value in text:
        return text.replace(value, mask(value))
    for part in sorted({p.strip() for p in value.splitlines()}, key=len, reverse=True):
        if len(part) >= 6 and part in text:
            text = text.replace(part, mask(part))
    return text


def shannon_entropy(value: str) -> float:
    """Bits per character; random API keys score > 3.5, words and identifiers well below."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())
