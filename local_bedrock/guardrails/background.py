"""Denied topics judged against a background of harmless requests.

A topic has only its definition and up to five examples; WordLlama's similarity to them alone
cannot tell "Can I bring a guest on my pass?" (the business) from "Can my sister use my pass?"
(the denied topic), since both share the business's words. So a unit of text counts for a topic
only by its *margin*: its best similarity to the topic's references minus its mean similarity to
its three nearest texts in a background corpus of harmless requests (everyday requests, routine
requests to fifty kinds of business, and the support look-alikes of ``data/train/benign.txt``).
A request nearer to ordinary business than to the topic has a negative margin, whatever words
it shares with the topic; one that is nearer to the topic than to anything harmless has a
positive one.

The business's own vocabulary (the words that the references of two or more of a guardrail's
topics share, such as its name, "app" or "rental") is a weak signal of any one topic, so those
words count :data:`BUSINESS_WEIGHT` as much as others in the pooled embeddings (units,
references and background alike): one shared word does not decide.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from functools import lru_cache

import numpy as np

from local_bedrock.guardrails._text import STOPWORDS, stem
from local_bedrock.text.embeddings import embed_weighted, token_ids_of_word

_WORD = re.compile(r"[A-Za-z0-9]+")

NEIGHBOURS = 3
CANDIDATES = 16  # per topic, only the units most similar to it are compared with the background
BUSINESS_WEIGHT = 0.3
_lock = threading.Lock()
_backgrounds: OrderedDict[tuple, np.ndarray] = OrderedDict()  # token weights -> background vectors


def texts() -> list[str]:
    """The background corpus: shipped benign training texts plus ``data/background/*.txt``."""
    from local_bedrock.guardrails import classifier

    return classifier.examples().get("benign", [])


def business_words(topics: list[dict]) -> tuple[str, ...]:
    """Content words (stemmed) used by the references of at least two of the topics."""
    seen: dict[str, int] = {}
    for t in topics:
        words = {stem(w) for s in (t["name"], t["definition"], *t.get("examples", []))
                 for w in _WORD.findall(s.lower()) if w not in STOPWORDS and len(w) > 1}
        for w in words:
            seen[w] = seen.get(w, 0) + 1
    return tuple(sorted(w for w, n in seen.items() if n >= 2))


@lru_cache(maxsize=64)
def token_weights(topics_key: tuple[tuple[str, ...], ...]) -> tuple[tuple[int, float], ...]:
    """Pooling weights for the business vocabulary of topics given as (name, refs...) tuples."""
    topics = [{"name": k[0], "definition": k[1], "examples": list(k[2:])} for k in topics_key]
    business = set(business_words(topics))
    ids: dict[int, float] = {}
    for t in topics:
        for s in (t["name"], t["definition"], *t["examples"]):
            for w in _WORD.findall(s):
                if stem(w.lower()) in business:
                    ids.update(dict.fromkeys(token_ids_of_word(w), BUSINESS_WEIGHT))
    return tuple(sorted(ids.items()))


def vectors(weights: tuple[tuple[int, float], ...] = ()) -> np.ndarray:
    """The background's embeddings under these pooling weights, one per column, computed once
    per process."""
    with _lock:
        if weights in _backgrounds:
            _backgrounds.move_to_end(weights)
            return _backgrounds[weights]
    vecs = np.ascontiguousarray(embed_weighted(texts(), dict(weights)).T)  # (256 x texts)
    with _lock:
        _backgrounds[weights] = vecs
        while len(_backgrounds) > 16:
            _backgrounds.popitem(last=False)
    return vecs


def nearness(unit_vecs: np.ndarray, weights: tuple[tuple[int, float], ...] = ()) -> np.ndarray:
    """Per unit, the mean cosine similarity to its nearest background texts."""
    from scipy import sparse

    if unit_vecs.shape[0] == 0:
        return np.zeros(0)
    # a sparse-times-dense product runs in one thread: BLAS's threads are slow on a busy machine
    sims = np.asarray(sparse.csr_matrix(unit_vecs) @ vectors(weights))
    k = min(NEIGHBOURS, sims.shape[1])
    return np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:].mean(axis=1)


def margins(units: list[str], topics: list[dict]) -> list[float]:
    """Per topic, the best unit's similarity to its references minus that unit's nearness to the
    background (embeddings pooled with the business vocabulary weighed down)."""
    if not units:
        return [-1.0] * len(topics)
    key = tuple((t["name"], t["definition"], *t.get("examples", [])) for t in topics)
    weights = token_weights(key)
    unit_vecs = embed_weighted(units, dict(weights))
    sims = [(unit_vecs @ _refs(k, weights).T).max(axis=1) for k in key]
    candidates = sorted({int(i) for s in sims for i in np.argsort(-s)[:CANDIDATES]})
    near = np.full(len(units), np.inf)
    near[candidates] = nearness(unit_vecs[candidates], weights)
    return [float((s - near).max()) for s in sims]


@lru_cache(maxsize=256)
def _refs(topic_key: tuple[str, ...], weights: tuple[tuple[int, float], ...]) -> np.ndarray:
    """A topic's reference embeddings ("name: definition", then each example), cached."""
    name, definition, *examples = topic_key
    return embed_weighted([f"{name}: {definition}", *examples], dict(weights))
