"""Content filters (HATE, INSULTS, SEXUAL, VIOLENCE, MISCONDUCT, PROMPT_ATTACK), scored offline.

For each category a text gets a score in [0, 1] from two signals:

* learned: the probability from :mod:`.classifier` (logistic regression on sentence embeddings
  and n-grams, trained in-process on the shipped texts of ``data/train/``), the highest over the
  text and its longer sentences; mapped to ``max(0, (p - 0.4) / 0.6)``, so a probability under
  0.4 adds nothing and the confidence levels below sit at p = 0.58 (LOW), 0.73 (MEDIUM) and
  0.88 (HIGH);
* lexical: every rule of :data:`lexicon.RULES` that matches contributes its weight, combined
  with a noisy-OR (``1 - prod(1 - w)``); rules are also run on a "de-leeted" copy of the text
  (``1gn0re`` -> ``ignore``) so trivial obfuscation does not slip through. The rules are precise
  and explainable (``hits`` lists what matched); they were written with
  ``07_guardrails/data/redteam.jsonl`` in view;

the two are noisy-OR-ed: ``score = 1 - (1 - lexical) * (1 - learned)``. When a pattern says the
text talks *about* the harm ("is this a phishing email?"), the score is multiplied by 0.4.

Scores map to Bedrock's confidence levels: >= 0.8 HIGH, >= 0.55 MEDIUM, >= 0.3 LOW, else NONE;
LOW needs some lexical evidence (the classifier alone below MEDIUM is noise on short everyday
requests: measured, it held 5 of 6 false blocks of 270 everyday requests at HIGH and 1 of 182
content attacks).
A filter blocks when confidence reaches its strength's threshold, as Bedrock documents:
strength HIGH blocks LOW/MEDIUM/HIGH confidence, MEDIUM blocks MEDIUM/HIGH, LOW blocks HIGH only,
NONE never blocks.
"""

from __future__ import annotations

import re

from local_bedrock.guardrails import classifier, lexicon
from local_bedrock.guardrails._text import classifier_units, embed_units, sentence_spans
from local_bedrock.guardrails.literal_gate import Paragraphs, compile_rule, paragraphs_of

CATEGORIES = ("HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT", "PROMPT_ATTACK")
CONFIDENCE_CUTS = (("HIGH", 0.8), ("MEDIUM", 0.55), ("LOW", 0.3))
CONFIDENCE_RANK = {"NONE": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3}
# lowest confidence that a filter of this strength blocks (None: never)
STRENGTH_BLOCKS_FROM = {"NONE": None, "LOW": 3, "MEDIUM": 2, "HIGH": 1}
LEARNED_FLOOR = 0.4  # classifier probabilities under this add nothing
MITIGATION_FACTOR = 0.4

_RULES = {c: [(compile_rule(p), w) for p, w in lexicon.RULES[c]] for c in CATEGORIES}
_MITIGATORS = {c: [compile_rule(p) for p in lexicon.MITIGATORS.get(c, [])] for c in CATEGORIES}
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_LEETISH = re.compile(r"[0-9@$]")
_MIXED_TOKEN = re.compile(r"(?<!\S)(?=\S*[a-zA-Z])(?=\S*[0-9@$])\S+")


def _deleet(text: str) -> str:
    """Undo leetspeak in tokens that mix letters and digits/symbols (plain numbers survive)."""
    return _MIXED_TOKEN.sub(lambda m: m.group(0).translate(_LEET), text)


def _deleeted_sentences(text: str) -> str:
    """The de-leeted copies of just the sentences that de-leeting changes ("" when none does),
    so a long document with a few product codes ("Wren V3") is not scanned twice. De-leeting maps
    characters one to one and never touches . ! ? ; or whitespace, so the sentences stay put:
    only those holding a digit, @ or $ are looked at."""
    if not _LEETISH.search(text):
        return ""
    out = []
    for a, b in sentence_spans(text):
        sentence = text[a:b]
        if _LEETISH.search(sentence) and (deleeted := _deleet(sentence)) != sentence:
            out.append(deleeted)
    return "\n".join(out)


def _variants(text: str) -> list[tuple[str, str, Paragraphs]]:
    """The text and its de-leeted sentences, each with its lower-cased copy and paragraphs."""
    return [(v, low, paragraphs_of(low)) for v in (text, _deleeted_sentences(text)) if v
            for low in (v.lower(),)]


def lexical_score(text: str, category: str,
                  variants: list[tuple[str, str, Paragraphs]] | None = None) -> tuple[float, list[str]]:
    """Noisy-OR of the weights of the category's rules that match (and the matched snippets).
    ``variants``: :func:`_variants` of the text, when several categories share them."""
    variants = _variants(text) if variants is None else variants
    keep = 1.0
    hits = []
    for rule, w in _RULES[category]:
        found = next(((v, low, m) for v, low, paras in variants
                      if (m := rule.search(v, low, paras))), None)
        if found:
            v, low, m = found
            keep *= 1.0 - w
            hits.append(v[m.start():m.end()] if len(v) == len(low) else m.group(0))  # as written
    return 1.0 - keep, hits


def mitigated(text: str, category: str, low: str | None = None,
              paragraphs: Paragraphs | None = None) -> bool:
    """Whether the text talks *about* the harm ("is this a phishing email?")."""
    low = text.lower() if low is None else low
    return any(rule.search(text, low, paragraphs) for rule in _MITIGATORS[category])


def confidence(score: float) -> str:
    for name, cut in CONFIDENCE_CUTS:
        if score >= cut:
            return name
    return "NONE"


def blocks(conf: str, strength: str) -> bool:
    """Whether a filter of ``strength`` acts on content classified with confidence ``conf``."""
    need = STRENGTH_BLOCKS_FROM.get(strength)
    return need is not None and CONFIDENCE_RANK[conf] >= need


def learned_scores(text: str, categories, topics: tuple = ()) -> dict[str, float]:
    """Per category, the classifier's probability for the whole text; for PROMPT_ATTACK the
    highest over the text and its longer sentences (see :func:`classifier_units`), since an
    instruction planted in a document is one sentence among many."""
    # only PROMPT_ATTACK reads the sentences' scores: the other labels score the whole text
    text_units = classifier_units(text) if "PROMPT_ATTACK" in categories else [text.strip()]
    probs = classifier.predict_units(text_units, embed_units(text_units), topics)
    return {c: float(probs[c.lower()].max() if c == "PROMPT_ATTACK" else probs[c.lower()][0])
            for c in categories}


def score(text: str, categories=CATEGORIES, topics: tuple = ()) -> dict[str, dict]:
    """Per category: {"score", "confidence", "lexical", "semantic" (the classifier's
    probability), "hits"}. ``topics``: the guardrail's denied topics as
    :func:`local_bedrock.guardrails.topics.model_key` gives them (they share one classifier)."""
    cats = [c for c in categories if c in _RULES]
    if not cats or not text.strip():
        return {c: {"score": 0.0, "confidence": "NONE", "lexical": 0.0, "semantic": 0.0, "hits": []}
                for c in cats}
    learned = learned_scores(text, cats, topics)
    variants = _variants(text)
    _, low, paragraphs = variants[0]
    out = {}
    for c in cats:
        lex, hits = lexical_score(text, c, variants)
        sem = learned[c]
        s = 1.0 - (1.0 - lex) * (1.0 - max(0.0, (sem - LEARNED_FLOOR) / (1.0 - LEARNED_FLOOR)))
        if mitigated(text, c, low, paragraphs):
            s *= MITIGATION_FACTOR
        conf = confidence(s)
        if conf == "LOW" and lex == 0:
            # the classifier alone, below MEDIUM, is noise on short everyday requests ("How do I
            # make kimchi at home?" scored VIOLENCE p=0.67): it must reach MEDIUM to count
            conf = "NONE"
        out[c] = {"score": round(s, 4), "confidence": conf, "lexical": round(lex, 4),
                  "semantic": round(sem, 4), "hits": hits}
    return out
