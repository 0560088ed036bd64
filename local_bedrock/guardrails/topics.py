"""Denied topics, matched by meaning.

A topic's references are ``"<name>: <definition>"`` and each of its examples. The text is cut
into units (the whole text, its sentences and clauses, and 5- and 8-word windows, so that a short
off-topic request inside a long message is not diluted) and the topic's *semantic* score is the
highest cosine similarity between any unit and any reference (WordLlama sentence embeddings).

WordLlama is a small static-embedding model that knows rare domain words poorly, so a *lexical*
score is added from the domain vocabularies of :data:`lexicon.DOMAINS`: a domain is attached to a
topic when the topic's own name/definition/examples use at least two of the domain's trigger
words (so a user-defined "Investment Advice" topic gets the finance vocabulary, a "Competitors"
topic gets none). The lexical score is the best sentence's sum of matched term weights (each
distinct matched word counts, at most twice per pattern), capped at 2 and halved to [0, 1].

``score = min(1, semantic + 0.4 * lexical)``; the topic is detected when ``score >= 0.6``.
The threshold was calibrated on ``07_guardrails/data/redteam.jsonl``.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from local_bedrock.guardrails import lexicon
from local_bedrock.guardrails._text import embed_refs, embed_units, sentences, units

THRESHOLD = 0.6
LEXICAL_WEIGHT = 0.4
WINDOWS = (5, 8)

_DOMAINS = {
    name: {
        "triggers": re.compile(d["triggers"], re.IGNORECASE),
        "requires": re.compile(d["requires"], re.IGNORECASE) if d.get("requires") else None,
        "terms": [(re.compile(p, re.IGNORECASE), w) for p, w in d["terms"]],
    }
    for name, d in lexicon.DOMAINS.items()
}


@lru_cache(maxsize=512)
def attached_domains(topic_text: str) -> tuple[str, ...]:
    """Domains whose trigger words appear (>= 2 distinct) in a topic's own text."""
    out = []
    for name, d in _DOMAINS.items():
        found = {m.group(0).lower() for m in d["triggers"].finditer(topic_text)}
        if len(found) >= 2:
            out.append(name)
    return tuple(out)


def _topic_text(topic: dict) -> str:
    return " ".join([topic["name"], topic["definition"], *topic.get("examples", [])])


def lexical_score(text: str, domains: tuple[str, ...]) -> float:
    best = 0.0
    for name in domains:
        d = _DOMAINS[name]
        for sent in sentences(text) or [text]:
            if d["requires"] is not None and not d["requires"].search(sent):
                continue
            total = sum(w * min(2, len({m.group(0).lower() for m in rx.finditer(sent)}))
                        for rx, w in d["terms"])
            best = max(best, min(total, 2.0) / 2.0)
    return best


def score_topics(text: str, topics: list[dict]) -> list[dict]:
    """For each topic: {"topic", "score", "semantic", "lexical", "detected"}."""
    if not topics:
        return []
    if not text.strip():
        return [{"topic": t, "score": 0.0, "semantic": 0.0, "lexical": 0.0, "detected": False}
                for t in topics]
    text_units = units(text, windows=WINDOWS)
    vecs = embed_units(text_units)
    out = []
    for t in topics:
        refs = embed_refs([f"{t['name']}: {t['definition']}", *t.get("examples", [])])
        sem = float(np.max(vecs @ refs.T))
        lex = lexical_score(text, attached_domains(_topic_text(t)))
        s = min(1.0, max(0.0, sem + LEXICAL_WEIGHT * lex))
        out.append({"topic": t, "score": round(s, 4), "semantic": round(sem, 4), "lexical": round(lex, 4),
                    "detected": s >= THRESHOLD})
    return out
