"""The computed metrics of automatic (algorithmic) evaluation jobs, per task type.

Bedrock's table (https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-tasks.html,
checked 2026-12-07) and how the engine computes each one:

| task | Accuracy | Robustness | Toxicity |
|---|---|---|---|
| Generation | real-world-knowledge score (T-REx) | word error rate | Detoxify |
| Summarization | BERTScore | BERTScore and deltaBERTScore | Detoxify |
| QuestionAndAnswer | NLP-F1 | F1 and deltaF1 | Detoxify |
| Classification | classification accuracy | accuracy and delta accuracy | - |

* NLP-F1, classification accuracy and the knowledge score follow the open-source fmeval library
  (https://aws.github.io/fmeval): SQuAD normalisation, F1 over the sets of words, best score over
  targets separated by ``<OR>``; the knowledge score is 1 when a target appears in the answer.
* BERTScore needs a BERT model the engine does not ship: it is computed the same way (greedy
  matching of word vectors, F1 of precision and recall) with the engine's WordLlama word vectors
  instead of contextual ones, so its values sit on a different scale than Bedrock's.
* Detoxify is not shipped either: Toxicity is the highest of the engine's guardrail content-filter
  scores (HATE, INSULTS, SEXUAL, VIOLENCE) for the response, in [0, 1].
* Robustness is fmeval's mean delta, ``mean(|score(original) - score(perturbed)|)`` over the five
  perturbations of :mod:`.perturb`; for Generation, the mean word error rate between the answer
  to the original prompt and the answers to the perturbed ones. Lower is better.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from local_bedrock.evaluation.datasets import OR

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)
_WORD = re.compile(r"[a-z0-9]+")
TOXICITY_CATEGORIES = ("HATE", "INSULTS", "SEXUAL", "VIOLENCE")


def normalize(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no a/an/the, single spaces."""
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCT)).split())


def targets(reference: str) -> list[str]:
    """The alternative gold answers of a reference (fmeval's <OR> separator)."""
    return [t.strip() for t in reference.split(OR) if t.strip()]


def f1(response: str, reference: str) -> float:
    """NLP-F1: word-set F1 of the normalised response and a target, best over targets."""
    pred = set(normalize(response).split())
    best = 0.0
    for target in targets(reference):
        gold = set(normalize(target).split())
        common = len(pred & gold)
        if common:
            p, r = common / len(pred), common / len(gold)
            best = max(best, 2 * p * r / (p + r))
    return best


def knowledge(response: str, reference: str) -> float:
    """Real-world-knowledge score: 1.0 when a normalised target appears in the answer."""
    answer = f" {normalize(response)} "
    return float(any(f" {normalize(t)} " in answer for t in targets(reference)))


def classification(response: str, reference: str) -> float:
    """1.0 when the answer, stripped and lower-cased, is the reference label."""
    return float(normalize(response) in {normalize(t) for t in targets(reference)})


def bert_score(response: str, reference: str) -> float:
    """BERTScore F1 with the engine's static word vectors (greedy cosine matching)."""
    from local_bedrock.text.embeddings import embed

    pred, gold = _WORD.findall(response.lower()), _WORD.findall(reference.lower())
    if not pred or not gold:
        return 0.0
    vocab = sorted(set(pred) | set(gold))
    vectors = dict(zip(vocab, embed(vocab), strict=True))
    sims = np.array([[float(vectors[p] @ vectors[g]) for g in gold] for p in pred])
    precision, recall = sims.max(axis=1).mean(), sims.max(axis=0).mean()
    return 0.0 if precision + recall <= 0 else float(2 * precision * recall / (precision + recall))


def word_error_rate(hypothesis: str, reference: str) -> float:
    """Word-level edit distance over the reference's length (0 = same words)."""
    hyp, ref = hypothesis.split(), reference.split()
    if not ref:
        return float(bool(hyp))
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / len(ref)


@lru_cache(maxsize=4096)
def toxicity(text: str) -> float:
    """The engine's stand-in for Detoxify: the highest guardrail content-filter score."""
    from local_bedrock.guardrails import content

    if not text.strip():
        return 0.0
    scores = content.score(text, TOXICITY_CATEGORIES)
    return round(max(s["score"] for s in scores.values()), 4)


ACCURACY: dict[str, Callable[[str, str], float]] = {
    "QuestionAndAnswer": f1, "Summarization": bert_score, "Classification": classification,
    "Generation": knowledge,
}


def accuracy(task: str, response: str, reference: str) -> float:
    """The task's Accuracy for one response."""
    return round(ACCURACY[task](response, reference), 4)


def robustness(task: str, original: str, perturbed: list[str], reference: str | None) -> float:
    """Mean change under perturbation: |accuracy delta| (WER between answers for Generation)."""
    if task == "Generation" or not reference:
        return round(float(np.mean([word_error_rate(p, original) for p in perturbed])), 4)
    base = ACCURACY[task](original, reference)
    return round(float(np.mean([abs(base - ACCURACY[task](p, reference)) for p in perturbed])), 4)
