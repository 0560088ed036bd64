"""Token counting with a real BPE tokenizer (the Llama-2 vocabulary WordLlama ships).

Bedrock models each have their own tokenizer; the engine uses this one for every model so
counts are consistent between input, output, CountTokens, logs and metrics. Text is cut into
words first and each word is encoded once and cached: this tokenizer has no pre-tokenizer, so
encoding a long text in one piece costs quadratic time.
"""

from __future__ import annotations

import re
from functools import lru_cache

_PIECES = re.compile(r"\s*\S+|\s+")


@lru_cache(maxsize=1)
def _tokenizer():
    from local_bedrock.text.embeddings import _model

    return _model().tokenizer


@lru_cache(maxsize=65536)
def _piece(piece: str) -> tuple[tuple[int, int], ...]:
    """Token end offsets (start, end) within one piece: optional whitespace, then a word."""
    lead = 1 if piece.startswith(" ") else 0  # the tokenizer re-adds one leading "▁" itself
    enc = _tokenizer().encode(piece[lead:], add_special_tokens=False)
    ends, last = [], 0
    for _, e in enc.offsets:  # offsets of inserted "▁" overlap: keep the ends monotonic
        last = max(last, e + lead)
        ends.append(last)
    if ends:
        ends[-1] = len(piece)
    starts = [0] + ends[:-1]
    return tuple(zip(starts, ends))


def count_tokens(text: str) -> int:
    """Number of tokens in `text` (no special tokens)."""
    if not text:
        return 0
    return sum(len(_piece(p)) for p in _PIECES.findall(text))


def truncate_to_tokens(text: str, max_tokens: int) -> tuple[str, bool]:
    """Cut `text` after `max_tokens` tokens; return (text, was_truncated)."""
    if max_tokens <= 0:
        return "", bool(text)
    used, pos = 0, 0
    for p in _PIECES.findall(text):
        spans = _piece(p)
        if used + len(spans) > max_tokens:
            keep = max_tokens - used
            cut = pos + (spans[keep - 1][1] if keep else 0)
            return text[:cut], True
        used += len(spans)
        pos += len(p)
    return text, False


def split_tokens(text: str) -> list[str]:
    """Split `text` into consecutive pieces, one per token, that join back to the text."""
    out: list[str] = []
    for p in _PIECES.findall(text):
        out += [p[s:e] for s, e in _piece(p) if e > s]
    if "".join(out) != text:  # a piece with no tokens (pure whitespace): keep the text whole
        out.append(text[len("".join(out)):])
    return [x for x in out if x]
