"""Small text helpers shared by the guardrail policies: sentences, windows, content tokens."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from functools import lru_cache

import numpy as np

from local_bedrock.text.embeddings import embed

STOPWORDS = frozenset("""
a an the and or but if of to in on at for with about from by as is are was were be been being do
does did done i me my mine myself you your yours yourself we our ours us he him his she her hers
they them their theirs it its this that these those there here what which who whom whose when where
why how can could should would will shall may might must have has had having not no yes so just very
too also then than please hi hello hey thanks thank ok okay any some all each every more most other
into over under up down out off again once only own same such both few nor now get got gets let lets
tell give me i'm it's don't can't doesn't isn't aren't won't i'd i've i'll you're we're they're
s t re ve ll d m
""".split())

_SENT_SPLIT = re.compile(r"(?<=[.!?;])\s+|\n+")
# _SENT_SPLIT's separators (group 1, or the whole newline run), found without trying a lookbehind
# at every position of a long text
_SENT_SEP = re.compile(r"[.!?;](\s+)|\n+")
_CLAUSE_SPLIT = re.compile(r",\s+(?=\w)|\s+(?:but|and then|so that)\s+")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def sentences(text: str) -> list[str]:
    """Sentence-ish pieces of a text (split on . ! ? ; and newlines)."""
    return list(_sentences(text))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of :func:`sentences`' pieces in ``text``."""
    return list(_sentence_spans(text))


@lru_cache(maxsize=64)
def _sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    spans, pos = [], 0
    for sep in [*_SENT_SEP.finditer(text), None]:
        start, after = (len(text), len(text)) if sep is None else sep.span(1 if sep.group(1) else 0)
        piece = text[pos:start]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            spans.append((pos + lead, pos + len(piece.rstrip())))
        pos = after
    return tuple(spans)


@lru_cache(maxsize=64)
def _sentences(text: str) -> tuple[str, ...]:
    # every policy splits the same guarded text: split it once
    return tuple(text[a:b] for a, b in _sentence_spans(text))


def units(text: str, windows: tuple[int, ...] = (), max_units: int = 400) -> list[str]:
    """The text, its sentences, their clauses and (optionally) word windows, de-duplicated."""
    out = [text.strip()]
    for s in sentences(text):
        out.append(s)
        clauses = [c.strip() for c in _CLAUSE_SPLIT.split(s) if c and len(c.split()) >= 3]
        if len(clauses) > 1:
            out.extend(clauses)
        words = s.split()
        for w in windows:
            if len(words) > w + 1:
                out.extend(" ".join(words[i:i + w]) for i in range(0, len(words) - w + 1, 2))
    out = list(dict.fromkeys(u for u in out if u))
    if len(out) > max_units:  # keep the text, its sentences, then an even sample of the rest
        step = len(out) / max_units
        out = [out[int(i * step)] for i in range(max_units)]
    return out


def classifier_units(text: str, min_words: int = 6) -> list[str]:
    """The text, plus its sentences of at least ``min_words`` words when it has several (so an
    instruction hidden in a long document is scored on its own; short fragments such as "How
    can I fix it?" are not scored out of context)."""
    parts = [s for s in sentences(text) if len(s.split()) >= min_words]
    return list(dict.fromkeys([text.strip(), *parts])) if len(sentences(text)) > 1 else [text.strip()]


def stem(word: str) -> str:
    """A crude suffix stripper: enough to match "customers"/"customer", "charged"/"charge"."""
    for suf in ("'s", "ies", "ing", "ed", "es", "s"):
        if word.endswith(suf) and len(word) - len(suf) >= 3:
            word = word[: -len(suf)] + ("y" if suf == "ies" else "")
            break
    return word


def content_tokens(text: str) -> list[str]:
    """Lower-cased, stemmed tokens without stop words (numbers kept)."""
    return [stem(t) for t in _TOKEN.findall(text.lower().replace(",", "")) if t not in STOPWORDS]


def numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}


@lru_cache(maxsize=256)
def _embed_cached(texts: tuple[str, ...]) -> np.ndarray:
    return embed(list(texts))


_UNIT_CACHE: OrderedDict[str, np.ndarray] = OrderedDict()
_UNIT_CACHE_MAX = 20000  # ~20 MB of 256-d float32 vectors
_unit_lock = threading.Lock()


def embed_units(texts: list[str]) -> np.ndarray:
    """Embeddings of text units, each unit embedded once per process (LRU-bounded), so that
    evaluating the same prompts against several guardrails or versions costs one embedding."""
    with _unit_lock:
        missing = [t for t in dict.fromkeys(texts) if t not in _UNIT_CACHE]
    if missing:
        vecs = embed(missing)
        with _unit_lock:
            for t, v in zip(missing, vecs, strict=True):
                _UNIT_CACHE[t] = v
            while len(_UNIT_CACHE) > _UNIT_CACHE_MAX:
                _UNIT_CACHE.popitem(last=False)
    with _unit_lock:
        out = []
        for t in texts:
            v = _UNIT_CACHE.get(t)
            if v is None:  # evicted meanwhile by another thread
                v = embed([t])[0]
            else:
                _UNIT_CACHE.move_to_end(t)
            out.append(v)
    return np.vstack(out) if out else embed([])


def embed_refs(texts) -> np.ndarray:
    """Embeddings of reference texts (topic definitions and examples), cached across calls."""
    return _embed_cached(tuple(texts))


def max_cosine(text_units: list[str], refs: np.ndarray, unit_vecs: np.ndarray | None = None) -> float:
    """Max cosine between any unit of the text and any reference vector."""
    if not text_units or refs.shape[0] == 0:
        return 0.0
    vecs = unit_vecs if unit_vecs is not None else embed(text_units)
    return float(np.max(vecs @ refs.T))
