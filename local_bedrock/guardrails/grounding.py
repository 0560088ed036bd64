"""Contextual grounding and relevance scores, computed offline.

GROUNDING (is the answer supported by the grounding source?) is scored per answer sentence:

* semantic support: the highest cosine between the sentence and any source sentence or 12-word
  window of the source, mapped from [0.3, 0.9] to [0, 1];
* lexical support: the share of the sentence's content tokens (stop words removed, crude stems,
  numbers kept) that occur in the source;
* ``support = 0.5 * semantic + 0.5 * lexical``, halved when the sentence states a number that the
  source does not contain (the typical hallucinated price, date or quantity).

The answer's grounding score is ``0.5 * mean + 0.5 * min`` of its sentence supports, so a single
unsupported claim pulls the score down.

RELEVANCE (does the answer address the query?): ``0.6 * semantic + 0.4 * lexical`` where semantic
is the highest cosine between the query and the answer or any of its sentences (mapped from
[0.2, 0.8] to [0, 1]) and lexical is the share of the query's content tokens found in the answer.

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
    src_numbers = numbers(source_text)
    supports = []
    for i, claim in enumerate(claims):
        toks = content_tokens(claim)
        lex = (sum(t in src_tokens for t in toks) / len(toks)) if toks else 1.0
        sem = _lin(float(np.max(cos[i])), 0.3, 0.9)
        support = 0.5 * sem + 0.5 * lex
        if numbers(claim) - src_numbers:
            support *= 0.5
        supports.append(support)
    return round(_clip(0.5 * float(np.mean(supports)) + 0.5 * min(supports)), 2)


def relevance_score(answer: str, queries: list[str]) -> float:
    query = " ".join(q for q in queries if q).strip()
    if not query or not answer.strip():
        return 0.0
    pieces = [answer] + sentences(answer)
    cos = float(np.max(embed([query]) @ embed(pieces).T))
    q_tokens = set(content_tokens(query))
    a_tokens = set(content_tokens(answer))
    lex = (len(q_tokens & a_tokens) / len(q_tokens)) if q_tokens else 1.0
    return round(_clip(0.6 * _lin(cos, 0.2, 0.8) + 0.4 * lex), 2)
