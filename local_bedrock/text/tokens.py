"""Token counting with a real BPE tokenizer (the Llama-2 vocabulary WordLlama ships).

Bedrock models each have their own tokenizer; the engine uses this one for every model so
counts are consistent between input, output, CountTokens, logs and metrics.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _tokenizer():
    from local_bedrock.text.embeddings import _model

    return _model().tokenizer


def count_tokens(text: str) -> int:
    """Number of tokens in `text` (no special tokens)."""
    if not text:
        return 0
    return len(_tokenizer().encode(text, add_special_tokens=False).ids)


def truncate_to_tokens(text: str, max_tokens: int) -> tuple[str, bool]:
    """Cut `text` after `max_tokens` tokens; return (text, was_truncated)."""
    if max_tokens <= 0:
        return "", bool(text)
    enc = _tokenizer().encode(text, add_special_tokens=False)
    if len(enc.ids) <= max_tokens:
        return text, False
    end = enc.offsets[max_tokens - 1][1]
    return text[:end], True


def split_tokens(text: str) -> list[str]:
    """Split `text` into consecutive pieces, one per token, that join back to the text."""
    enc = _tokenizer().encode(text, add_special_tokens=False)
    pieces, start = [], 0
    for _, end in enc.offsets:
        pieces.append(text[start:end])
        start = end
    if start < len(text) and pieces:
        pieces[-1] += text[start:]
    return [p for p in pieces if p]
