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

A third, *learned* score is the probability of the topic's label in :mod:`.classifier`
(logistic regression on embeddings and n-grams), trained in-process with the topic's references
and, for an attached domain, the shipped ``data/train/topic_<domain>.txt`` questions as
positives, and every other shipped text (support questions, look-alikes, other domains, content
categories) as negatives; the highest over the text and its longer sentences.

A fourth, the *margin* (:mod:`.background`), is what lets a topic written for any business work:
the best unit's similarity to the topic's references minus its nearness to a background corpus
of harmless requests (everyday requests, routine requests to about ninety kinds of business),
with the guardrail's business vocabulary weighed down.

The topic is detected when any of three kinds of evidence clears its bar: the margin reaches
``MARGIN_BAR`` (a unit nearer to the topic than to anything harmless); the classifier's
probability reaches ``LEARNED_BAR``; or, for a topic attached to a known domain, ``semantic +
0.4 * lexical`` reaches 0.6 with some lexical evidence. Similarity alone no longer decides: a
business's routine request that shares the topic's words ("How do I book a trainer in the app?"
for a gym that denies off-app training) is nearer to the background. ``score`` maps each kind
onto one scale on which 0.6 is its bar. The bars were chosen on the lab's development sets and
on three development configurations for other businesses (``07_guardrails/data/configs_dev``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

import numpy as np

from local_bedrock.guardrails import background, classifier, lexicon
from local_bedrock.guardrails._text import (
    embed_refs,
    embed_units,
    sentence_spans,
    sentences,
    units,
)
from local_bedrock.guardrails.literal_gate import Paragraphs, compile_rule, paragraphs_of

THRESHOLD = 0.6
LEXICAL_WEIGHT = 0.4
WINDOWS = (5, 8)
MARGIN_WINDOWS = (8,)
MARGIN_BAR = 0.02  # closer to the topic than to the nearest harmless texts, by this much
LEARNED_BAR = 0.8

_DOMAINS = {
    name: {
        "triggers": re.compile(d["triggers"], re.IGNORECASE),
        "requires": compile_rule(d["requires"]) if d.get("requires") else None,
        "terms": [(compile_rule(p), w) for p, w in d["terms"]],
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
    """The best sentence's sum of matched domain-term weights (each distinct matched word counts,
    at most twice per term), in [0, 1]. Each term scans the whole text once (linear cost) and
    its matches are assigned to sentences by offset."""
    return max((_domain_score(text, name) for name in domains), default=0.0)


@lru_cache(maxsize=256)
def _domain_score(text: str, name: str) -> float:
    """:func:`lexical_score` for one domain (cached: several topics share a domain's score)."""
    low = text.lower()
    if len(low) != len(text):  # a rare case mapping changed the length: offsets would not align
        return max((_sentence_lexical(s, (name,)) for s in sentences(text) or [text]), default=0.0)
    d = _DOMAINS[name]
    paragraphs = paragraphs_of(low)  # sentences never cross a paragraph: search only those that could match
    terms = [(rule, w) for rule, w in d["terms"] if paragraphs.may_match(rule.gate)]
    if not terms:
        return 0.0
    spans = sentence_spans(text) or [(0, len(text))]
    starts = [a for a, _ in spans]
    allowed = None if d["requires"] is None else _sentences_matching(d["requires"], text, paragraphs, spans, starts)
    if allowed is not None and not allowed:
        return 0.0
    totals: dict[int, float] = {}
    for rule, w in terms:
        found: dict[int, set[str]] = {}
        for m in paragraphs.finditer(rule, text):
            i = bisect_right(starts, m.start()) - 1
            if i >= 0 and m.end() <= spans[i][1] and (allowed is None or i in allowed):
                found.setdefault(i, set()).add(m.group(0).lower())
        for i, words in found.items():
            totals[i] = totals.get(i, 0.0) + w * min(2, len(words))
    return min(max(totals.values()), 2.0) / 2.0 if totals else 0.0


def _sentences_matching(rule, text: str, paragraphs: Paragraphs, spans, starts) -> set[int]:
    """Indices of the sentences that contain a match of ``rule``."""
    out = set()
    for m in paragraphs.finditer(rule, text):
        i = bisect_right(starts, m.start()) - 1
        if i >= 0 and m.end() <= spans[i][1]:
            out.add(i)
    return out


def _sentence_lexical(sent: str, domains: tuple[str, ...]) -> float:
    """:func:`lexical_score` of one sentence, the direct way."""
    best = 0.0
    for name in domains:
        d = _DOMAINS[name]
        if d["requires"] is not None and not d["requires"].search(sent):
            continue
        total = sum(w * min(2, len({m.group(0).lower() for m in rule.rx.finditer(
            sent.lower() if rule.lowered else sent)})) for rule, w in d["terms"])
        best = max(best, min(total, 2.0) / 2.0)
    return best


def model_key(topics: list[dict]) -> tuple:
    """The topics as the classifier takes them: (name, reference texts, attached domains)."""
    return tuple((t["name"], tuple([f"{t['name']}: {t['definition']}", *t.get("examples", [])]),
                  attached_domains(_topic_text(t))) for t in topics)


def learned_scores(text: str, topics: list[dict]) -> list[float]:
    """Per topic, the classifier's probability for the whole text (a short off-topic request
    inside a long message is left to the semantic score's windows)."""
    plain = [text.strip()]
    probs = classifier.predict_units(plain, embed_units(plain), model_key(topics))
    return [float(probs["topic:" + t["name"]][0]) for t in topics]


def score_topics(text: str, topics: list[dict]) -> list[dict]:
    """For each topic: {"topic", "score", "semantic", "lexical", "learned", "margin", "detected"}."""
    if not topics:
        return []
    if not text.strip():
        return [{"topic": t, "score": 0.0, "semantic": 0.0, "lexical": 0.0, "learned": 0.0,
                 "margin": -1.0, "detected": False} for t in topics]
    text_units = units(text, windows=WINDOWS)
    vecs = embed_units(text_units)
    margin_units = units(text, windows=MARGIN_WINDOWS)
    margins = background.margins(margin_units, topics)
    learned = learned_scores(text, topics)
    out = []
    for t, p, margin in zip(topics, learned, margins):
        refs = embed_refs([f"{t['name']}: {t['definition']}", *t.get("examples", [])])
        sem = float(np.max(vecs @ refs.T))
        lex = lexical_score(text, attached_domains(_topic_text(t)))
        # each kind of evidence reaches THRESHOLD exactly at its own bar
        s = max(min(1.0, sem + LEXICAL_WEIGHT * lex) if lex > 0 else 0.0,
                THRESHOLD * p / LEARNED_BAR, THRESHOLD + margin - MARGIN_BAR)
        s = min(1.0, max(0.0, s))
        out.append({"topic": t, "score": round(s, 4), "semantic": round(sem, 4), "lexical": round(lex, 4),
                    "learned": round(p, 4), "margin": round(margin, 4), "detected": s >= THRESHOLD})
    return out
