"""Content filters (HATE, INSULTS, SEXUAL, VIOLENCE, MISCONDUCT, PROMPT_ATTACK), scored offline.

For each category a text gets a score in [0, 1]:

* lexical: every rule of :data:`lexicon.RULES` that matches contributes its weight, combined
  with a noisy-OR (``1 - prod(1 - w)``); rules are also run on a "de-leeted" copy of the text
  (``1gn0re`` -> ``ignore``) so trivial obfuscation does not slip through;
* semantic: the highest cosine between the text's sentences/clauses and the category's exemplar
  sentences (WordLlama embeddings), mapped linearly from [0.45, 0.85] to [0, 1] and weighted 0.5,
  then noisy-OR-ed with the lexical score;
* mitigation: when a pattern says the text talks *about* the harm ("is this a phishing email?"),
  the score is multiplied by 0.4.

Scores map to Bedrock's confidence levels: >= 0.8 HIGH, >= 0.55 MEDIUM, >= 0.3 LOW, else NONE.
A filter blocks when confidence reaches its strength's threshold, as Bedrock documents:
strength HIGH blocks LOW/MEDIUM/HIGH confidence, MEDIUM blocks MEDIUM/HIGH, LOW blocks HIGH only,
NONE never blocks.
"""

from __future__ import annotations

import re

import numpy as np

from local_bedrock.guardrails import lexicon
from local_bedrock.guardrails._text import embed_refs, embed_units, units

CATEGORIES = ("HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT", "PROMPT_ATTACK")
CONFIDENCE_CUTS = (("HIGH", 0.8), ("MEDIUM", 0.55), ("LOW", 0.3))
CONFIDENCE_RANK = {"NONE": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3}
# lowest confidence that a filter of this strength blocks (None: never)
STRENGTH_BLOCKS_FROM = {"NONE": None, "LOW": 3, "MEDIUM": 2, "HIGH": 1}
SEM_LO, SEM_HI, SEM_WEIGHT = 0.45, 0.85, 0.5
MITIGATION_FACTOR = 0.4

_RULES = {c: [(re.compile(p, re.IGNORECASE), w) for p, w in lexicon.RULES[c]] for c in CATEGORIES}
_MITIGATORS = {c: [re.compile(p, re.IGNORECASE) for p in lexicon.MITIGATORS.get(c, [])] for c in CATEGORIES}
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})


def _deleet(text: str) -> str:
    # only touch tokens that mix letters and digits/symbols, so plain numbers survive
    return re.sub(r"\S+", lambda m: m.group(0).translate(_LEET)
                  if re.search(r"[a-zA-Z]", m.group(0)) and re.search(r"[0-9@$]", m.group(0))
                  else m.group(0), text)


def lexical_score(text: str, category: str) -> tuple[float, list[str]]:
    """Noisy-OR of the weights of the category's rules that match (and the matched snippets)."""
    variants = {text, _deleet(text)}
    keep = 1.0
    hits = []
    for rx, w in _RULES[category]:
        m = next((m for v in variants if (m := rx.search(v))), None)
        if m:
            keep *= 1.0 - w
            hits.append(m.group(0))
    return 1.0 - keep, hits


def confidence(score: float) -> str:
    for name, cut in CONFIDENCE_CUTS:
        if score >= cut:
            return name
    return "NONE"


def blocks(conf: str, strength: str) -> bool:
    """Whether a filter of ``strength`` acts on content classified with confidence ``conf``."""
    need = STRENGTH_BLOCKS_FROM.get(strength)
    return need is not None and CONFIDENCE_RANK[conf] >= need


def score(text: str, categories=CATEGORIES) -> dict[str, dict]:
    """Per category: {"score", "confidence", "lexical", "semantic", "hits"}."""
    cats = [c for c in categories if c in _RULES]
    if not cats or not text.strip():
        return {c: {"score": 0.0, "confidence": "NONE", "lexical": 0.0, "semantic": 0.0, "hits": []}
                for c in cats}
    text_units = units(text)
    vecs = embed_units(text_units)
    out = {}
    for c in cats:
        lex, hits = lexical_score(text, c)
        cos = float(np.max(vecs @ embed_refs(lexicon.EXEMPLARS[c]).T))
        sem = min(1.0, max(0.0, (cos - SEM_LO) / (SEM_HI - SEM_LO)))
        s = 1.0 - (1.0 - lex) * (1.0 - SEM_WEIGHT * sem)
        if any(rx.search(text) for rx in _MITIGATORS[c]):
            s *= MITIGATION_FACTOR
        out[c] = {"score": round(s, 4), "confidence": confidence(s), "lexical": round(lex, 4),
                  "semantic": round(cos, 4), "hits": hits}
    return out
