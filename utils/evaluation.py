"""Question-answering evaluation modelled on Amazon Bedrock automatic model evaluation.

Bedrock's QuestionAndAnswer task scores three built-in datasets (BoolQ, NaturalQuestions,
TriviaQA) with two metrics used in this workshop: Accuracy and Toxicity.
Sources checked for the definitions below:

* https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-tasks-question-answer.html
  -- the QA table lists "Accuracy -> computed metric NLP-F1" for all three datasets and
  "Toxicity -> Toxicity".
* https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-report-programmatic.html
  -- the report shows number of prompts and number of responses; only responses are scored.
* https://aws.github.io/fmeval/fmeval/eval_algorithms/qa_accuracy.html -- the open-source
  fmeval library behind these evaluations: exact match compares stripped strings,
  quasi-exact match compares SQuAD/QuAC-normalised strings, F1 is computed over the *sets*
  of normalised words, and with several gold answers the maximum score is taken.
* https://aws.github.io/fmeval/fmeval/eval_algorithms/qa_toxicity.html -- toxicity comes
  from a Detoxify (or ToxiGen) classifier. We cannot download one, so `toxicity_score` is a
  local lexicon approximation (see utils/data/toxicity_lexicon.txt for its limits).
"""

from __future__ import annotations

import json
import math
import re
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
EVAL_DATA_DIR = REPO_ROOT / "08_llmops" / "data" / "eval"
LEXICON_PATH = Path(__file__).resolve().parent / "data" / "toxicity_lexicon.txt"

# Short name -> (file, name Bedrock uses in the API / console).
DATASETS: dict[str, tuple[str, str]] = {
    "boolq": ("boolq_style.jsonl", "Builtin.BoolQ"),
    "triviaqa": ("triviaqa_style.jsonl", "Builtin.TriviaQa"),
    "naturalquestions": ("naturalquestions_style.jsonl", "Builtin.NaturalQuestions"),
}

ACCURACY_METRICS = ("f1", "quasi_exact_match", "exact_match", "precision", "recall")
TOXICITY_CATEGORIES = ("insult", "threat", "identity_attack", "obscene")

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


# ---------------------------------------------------------------------------
# Accuracy metrics
# ---------------------------------------------------------------------------


def normalize_answer(text: str) -> str:
    """SQuAD/QuAC normalisation: lowercase, drop punctuation and a/an/the, squash spaces."""
    text = text.lower().translate(_PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def _as_list(answers: str | Sequence[str]) -> list[str]:
    """Accept one gold answer or a list of aliases."""
    return [answers] if isinstance(answers, str) else list(answers)


def _best(
    score: Callable[[str, str], float], prediction: str, answers: str | Sequence[str]
) -> float:
    """Score the prediction against every alias and keep the maximum (0.0 if no aliases)."""
    return max((score(prediction, gold) for gold in _as_list(answers)), default=0.0)


def exact_match(prediction: str, answers: str | Sequence[str]) -> float:
    """1.0 if the stripped prediction equals any alias character for character, else 0.0."""
    return _best(lambda p, g: float(p.strip() == g.strip()), prediction, answers)


def quasi_exact_match(prediction: str, answers: str | Sequence[str]) -> float:
    """1.0 if the prediction equals any alias after `normalize_answer`, else 0.0."""
    return _best(
        lambda p, g: float(normalize_answer(p) == normalize_answer(g)), prediction, answers
    )


def _word_overlap(prediction: str, gold: str) -> tuple[float, float]:
    """(precision, recall) over the sets of normalised words, as fmeval computes them."""
    pred, ref = set(normalize_answer(prediction).split()), set(normalize_answer(gold).split())
    common = len(pred & ref)
    if not pred or not ref:
        return 0.0, 0.0
    return common / len(pred), common / len(ref)


def _f1(prediction: str, gold: str) -> float:
    """Harmonic mean of word precision and recall for one gold answer."""
    p, r = _word_overlap(prediction, gold)
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def precision_over_words(prediction: str, answers: str | Sequence[str]) -> float:
    """Share of the prediction's words found in the gold answer (max over aliases)."""
    return _best(lambda p, g: _word_overlap(p, g)[0], prediction, answers)


def recall_over_words(prediction: str, answers: str | Sequence[str]) -> float:
    """Share of the gold answer's words found in the prediction (max over aliases)."""
    return _best(lambda p, g: _word_overlap(p, g)[1], prediction, answers)


def f1_score(prediction: str, answers: str | Sequence[str]) -> float:
    """Word-level F1 between prediction and gold (max over aliases); Bedrock's QA 'NLP-F1'.

    Like fmeval, words are compared as sets, so repeated words count once (SQuAD's script
    uses multisets instead; the two differ only when a word repeats).
    """
    return _best(_f1, prediction, answers)


# ---------------------------------------------------------------------------
# Toxicity (local lexicon stand-in for a Detoxify-style classifier)
# ---------------------------------------------------------------------------

_TOKEN = re.compile(r"[a-z0-9*@#$%]+(?:['’][a-z]+)?")
_MASKED = re.compile(r"^[a-z][*@#$%]{2,}[a-z]*$")  # f***, sh**, a**hole
_GRAWLIX = re.compile(r"^[*@#$%]{3,}$")  # $#@ (needs 3 distinct symbols, checked below)
_NEGATORS = frozenset({"not", "never", "no", "nobody", "hardly", "without", "nor"})
_MENTION = frozenset({"word", "words", "term", "terms"})
NEGATION_FACTOR, MENTION_FACTOR, WINDOW = 0.2, 0.3, 3


@lru_cache(maxsize=4)
def load_lexicon(path: str | Path = LEXICON_PATH) -> dict[tuple[str, ...], tuple[str, float]]:
    """Read `<category> <weight> <term>` lines into {term tokens: (category, weight)}."""
    lexicon: dict[tuple[str, ...], tuple[str, float]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        category, weight, term = line.split(maxsplit=2)
        if category not in TOXICITY_CATEGORIES:
            raise ValueError(f"unknown toxicity category {category!r} in {path}")
        lexicon[tuple(_TOKEN.findall(term.lower()))] = (category, float(weight))
    return lexicon


def _tokenize(text: str) -> list[tuple[str, int]]:
    """Lowercase word tokens with their start offsets (curly apostrophes made straight)."""
    lowered = text.lower().replace("’", "'")
    spans = [(m.group(), m.start()) for m in _TOKEN.finditer(lowered)]
    # Markdown emphasis (**word**) is not masking: strip the stars so the word is seen.
    spans = [(t.strip("*"), o) if t.startswith("*") else (t, o) for t, o in spans]
    return [(t, o) for t, o in spans if t]


def _is_negated(tokens: Sequence[str], start: int) -> bool:
    """True if a negator (incl. any "...n't") sits in the few tokens before `start`."""
    return any(t in _NEGATORS or t.endswith("n't") for t in tokens[max(0, start - WINDOW) : start])


def _is_mention(text: str, tokens: Sequence[str], start: int, offset: int) -> bool:
    """True if the hit is quoted ("...") or follows 'the word'/'term' -- talked about, not used."""
    before = text[:offset]
    quoted = before.count('"') % 2 == 1 or before.count("“") > before.count("”")
    return quoted or any(t in _MENTION for t in tokens[max(0, start - WINDOW) : start])


def _find_hits(text: str) -> list[tuple[str, float]]:
    """All (category, adjusted weight) lexicon hits in the text."""
    lexicon = load_lexicon()
    longest = max((len(k) for k in lexicon), default=1)
    spans = _tokenize(text)
    tokens = [t for t, _ in spans]
    hits: list[tuple[str, float]] = []
    i = 0
    while i < len(tokens):
        match = next(
            (
                n
                for n in range(min(longest, len(tokens) - i), 0, -1)
                if tuple(tokens[i : i + n]) in lexicon
            ),
            0,
        )
        if match:
            category, weight = lexicon[tuple(tokens[i : i + match])]
        elif _MASKED.match(tokens[i]) or (_GRAWLIX.match(tokens[i]) and len(set(tokens[i])) >= 3):
            category, weight, match = "obscene", 0.6, 1
        else:
            i += 1
            continue
        if _is_negated(tokens, i):
            weight *= NEGATION_FACTOR
        if _is_mention(text, tokens, i, spans[i][1]):
            weight *= MENTION_FACTOR
        hits.append((category, weight))
        i += match
    return hits


def _noisy_or(weights: Iterable[float]) -> float:
    """Combine independent evidence: 1 - prod(1 - w)."""
    return 1.0 - math.prod(1.0 - w for w in weights)


def toxicity_scores(text: str) -> dict[str, float]:
    """Per-category scores plus overall 'toxicity', each in [0, 1], like Detoxify's output."""
    hits = _find_hits(text)
    scores = {c: _noisy_or(w for cat, w in hits if cat == c) for c in TOXICITY_CATEGORIES}
    scores["toxicity"] = _noisy_or(w for _, w in hits)
    return scores


def toxicity_score(text: str) -> float:
    """Overall toxicity in [0, 1] from the local lexicon (0.0 for benign text)."""
    return toxicity_scores(text)["toxicity"]


# ---------------------------------------------------------------------------
# Datasets, evaluation loop and report table
# ---------------------------------------------------------------------------


def load_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Read a JSON Lines file into a list of dicts (blank lines skipped)."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _dataset_key(name: str) -> str:
    """Map 'boolq', 'BoolQ', 'Builtin.BoolQ' or 'boolq_style' to a DATASETS key."""
    key = name.lower().removeprefix("builtin.").removesuffix("_style").replace("_", "")
    if key not in DATASETS:
        raise KeyError(f"unknown dataset {name!r}; choose from {sorted(DATASETS)}")
    return key


def load_dataset(name: str) -> list[dict[str, Any]]:
    """Load one of the shipped workshop datasets: 'boolq', 'triviaqa' or 'naturalquestions'."""
    return load_jsonl(EVAL_DATA_DIR / DATASETS[_dataset_key(name)][0])


def builtin_name(name: str) -> str:
    """Bedrock's built-in dataset name for a workshop dataset, e.g. 'Builtin.BoolQ'."""
    return DATASETS[_dataset_key(name)][1]


def qa_prompt(record: Mapping[str, Any]) -> str:
    """A plain prompt for a record: passage (BoolQ style) then the question."""
    question = record["question"].rstrip("?") + "?"
    if record.get("passage"):
        return f"{record['passage']}\nQuestion: {question} Answer yes or no."
    return f"Question: {question}\nAnswer briefly."


def _score_row(response: str, answers: Sequence[str], metrics: Sequence[str]) -> dict[str, float]:
    """Scores for one non-empty response."""
    row: dict[str, float] = {}
    if "accuracy" in metrics:
        row["exact_match"] = exact_match(response, answers)
        row["quasi_exact_match"] = quasi_exact_match(response, answers)
        row["precision"] = precision_over_words(response, answers)
        row["recall"] = recall_over_words(response, answers)
        row["f1"] = f1_score(response, answers)
    if "toxicity" in metrics:
        row["toxicity"] = toxicity_score(response)
    return row


def _iterate(dataset: Sequence[Mapping[str, Any]], progress: Any) -> Iterable[Mapping[str, Any]]:
    """Wrap the dataset with a tqdm-like callable, or tick an existing bar's update()."""
    if progress is None:
        yield from dataset
    elif hasattr(progress, "update"):
        for record in dataset:
            yield record
            progress.update(1)
    else:
        yield from progress(dataset)


def _mean(values: Sequence[float]) -> float | None:
    """Arithmetic mean, or None when there is nothing to average."""
    return sum(values) / len(values) if values else None


def evaluate_qa(
    dataset: Sequence[Mapping[str, Any]],
    answer_fn: Callable[[Mapping[str, Any]], str],
    metrics: Sequence[str] = ("accuracy", "toxicity"),
    *,
    accuracy_metric: str = "f1",
    progress: Any = None,
) -> dict[str, Any]:
    """Run answer_fn over records {"id","question","answers"[, "passage"]} and score them.

    Returns {"rows": [...], "aggregate": {...}}. As in Bedrock, only non-empty responses are
    scored; "accuracy" is the mean of `accuracy_metric` (default "f1", Bedrock's NLP-F1).
    `progress` may be `tqdm` (or any iterable wrapper) or an open tqdm bar.
    """
    unknown = set(metrics) - {"accuracy", "toxicity"}
    if unknown or accuracy_metric not in ACCURACY_METRICS:
        raise ValueError(f"unsupported metric(s): {sorted(unknown) or accuracy_metric}")
    rows: list[dict[str, Any]] = []
    for record in _iterate(dataset, progress):
        row: dict[str, Any] = {
            "id": record["id"],
            "question": record["question"],
            "answers": list(record["answers"]),
            "response": "",
        }
        try:
            row["response"] = (answer_fn(record) or "").strip()
        except Exception as exc:  # a failed invocation counts as "no response", like Bedrock
            row["error"] = f"{type(exc).__name__}: {exc}"
        if row["response"]:
            row.update(_score_row(row["response"], record["answers"], metrics))
        rows.append(row)
    return {"rows": rows, "aggregate": _aggregate(rows, metrics, accuracy_metric)}


def _aggregate(
    rows: Sequence[Mapping[str, Any]], metrics: Sequence[str], accuracy_metric: str
) -> dict[str, Any]:
    """Means over scored rows plus prompt/response counts."""
    scored = [r for r in rows if r["response"]]
    agg: dict[str, Any] = {"num_prompts": len(rows), "num_responses": len(scored)}
    if "accuracy" in metrics:
        for name in ACCURACY_METRICS:
            agg[name] = _mean([r[name] for r in scored])
        agg["accuracy"] = agg[accuracy_metric]
        agg["accuracy_metric"] = accuracy_metric
    if "toxicity" in metrics:
        agg["toxicity"] = _mean([r["toxicity"] for r in scored])
    return agg


def results_table(
    results_by_dataset: Mapping[str, Mapping[str, Any]], metric: str
) -> list[dict[str, Any]]:
    """Rows like Bedrock's report: Prompt dataset | Value | Number of prompts | Number of responses.

    `results_by_dataset` maps a display name to an `evaluate_qa` result (or its "aggregate").
    """
    table = []
    for name, result in results_by_dataset.items():
        agg = result.get("aggregate", result)
        value = agg.get(metric.lower())
        table.append(
            {
                "Prompt dataset": name,
                "Value": None if value is None else round(value, 4),
                "Number of prompts": agg["num_prompts"],
                "Number of responses": agg["num_responses"],
            }
        )
    return table
