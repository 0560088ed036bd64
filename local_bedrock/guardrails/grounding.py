"""Contextual grounding and relevance scores, computed offline.

GROUNDING (is the answer supported by the grounding source?) is scored per answer sentence:

* semantic support: the highest cosine between the sentence and any source sentence or 12-word
  window of the source, mapped from [0.3, 0.9] to [0, 1];
* lexical support: the share of the sentence's content tokens (stop words removed, crude stems,
  numbers kept) that occur in the source, averaged with the same share within the single best
  source sentence/window (claims stitched from scattered words score lower);
* ``support = 0.5 * semantic + 0.5 * lexical``, halved when the sentence states a number that the
  source does not contain (the typical hallucinated price, date or quantity).

The answer's grounding score is ``0.4 * mean + 0.6 * min`` of its sentence supports, so a single
unsupported claim pulls the score down.

RELEVANCE (does the answer address the query?): for each substantive sentence of the query,
``0.7 * semantic + 0.3 * lexical`` where semantic is the highest cosine between that query
sentence and the answer or any of its sentences (mapped from
[0.1, 0.5] to [0, 1]; WordLlama cosines of a question and a good answer are typically 0.35-0.6,
of an unrelated answer below 0.2) and lexical is the share of the query sentence's content tokens
found in the answer; the best query sentence gives the score.

A filter is detected (and blocks when its action is BLOCK) when ``score < threshold``, as in
Bedrock.
"""

from __future__ import annotations

import numpy as np

from local_bedrock.guardrails._text import content_tokens, numbers, sentences, units
from local_bedrock.text.embeddings import embed


def _clip(x: float) -> float:
    return min(1.0, max(0.0, x))


def _lin(x: float, lo: float, hi: float) -> float:
    return _clip((x - lo) / (hi - lo))


def grounding_score(answer: str, sources: list[str]) -> float:
    source_text = "\n".join(s for s in sources if s)
    claims = sentences(answer) or [answer]
    claims = [c for c in claims if content_tokens(c)] or claims
    if not source_text.strip() or not answer.strip():
        return 0.0
    src_units = units(source_text, windows=(12,), max_units=600)
    src_vecs = embed(src_units)
    claim_vecs = embed(claims)
    cos = claim_vecs @ src_vecs.T
    src_tokens = set(content_tokens(source_text))
    unit_tokens = [set(content_tokens(u)) for u in src_units]
    src_numbers = numbers(source_text)
    supports = []
    for i, claim in enumerate(claims):
        toks = content_tokens(claim)
        if toks:
            global_lex = sum(t in src_tokens for t in toks) / len(toks)
            local_lex = max(sum(t in ut for t in toks) for ut in unit_tokens) / len(toks)
            lex = 0.5 * global_lex + 0.5 * local_lex
        else:
            lex = 1.0
        sem = _lin(float(np.max(cos[i])), 0.3, 0.9)
        support = 0.5 * sem + 0.5 * lex
        if numbers(claim) - src_numbers:
            support *= 0.5
        supports.append(support)
    return round(_clip(0.4 * float(np.mean(supports)) + 0.6 * min(supports)), 2)


def relevance_score(answer: str, queries: list[str]) -> float:
    query = " ".join(q for q in queries if q).strip()
    if not query or not answer.strip():
        return 0.0
    # score each substantive sentence of the query (a query often carries chit-chat or context
    # besides the question) and keep the best
    parts = [q for q in sentences(query) if len(content_tokens(q)) >= 2] or [query]
    pieces = [answer] + sentences(answer)
    cos = embed(parts) @ embed(pieces).T
    a_tokens = set(content_tokens(answer))
    best = 0.0
    for i, q in enumerate(parts):
        q_tokens = set(content_tokens(q))
        lex = (len(q_tokens & a_tokens) / len(q_tokens)) if q_tokens else 1.0
        best = max(best, 0.7 * _lin(float(np.max(cos[i])), 0.1, 0.5) + 0.3 * lex)
    return round(_clip(best), 2)
