"""Tests for utils.evaluation: QA accuracy metrics, lexicon toxicity, evaluate_qa and datasets."""

import json
import math
import re

import pytest

from utils import evaluation
from utils.evaluation import (
    DATASETS,
    EVAL_DATA_DIR,
    builtin_name,
    evaluate_qa,
    exact_match,
    f1_score,
    load_dataset,
    load_lexicon,
    normalize_answer,
    precision_over_words,
    qa_prompt,
    quasi_exact_match,
    recall_over_words,
    results_table,
    toxicity_score,
    toxicity_scores,
)

# --- normalisation -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Eiffel Tower!", "eiffel tower"),
        ("  An   apple,\ta day ", "apple day"),
        ("Leonardo da Vinci.", "leonardo da vinci"),
        ("J.R.R. Tolkien", "jrr tolkien"),  # punctuation is deleted, not replaced by a space
        ("Theatre", "theatre"),  # 'the' is only removed as a whole word
        ("", ""),
    ],
)
def test_normalize_answer(text, expected):
    assert normalize_answer(text) == expected


# --- exact / quasi-exact match -------------------------------------------------


def test_exact_match_only_strips_whitespace():
    assert exact_match("  Paris\n", "Paris") == 1.0
    assert exact_match("paris", "Paris") == 0.0  # case matters for plain exact match
    assert exact_match("Paris.", "Paris") == 0.0


def test_exact_match_takes_best_alias():
    assert exact_match("da Vinci", ["Leonardo da Vinci", "da Vinci"]) == 1.0
    assert exact_match("Vinci", ["Leonardo da Vinci", "da Vinci"]) == 0.0
    assert exact_match("anything", []) == 0.0


def test_quasi_exact_match_normalises_case_punctuation_articles():
    assert quasi_exact_match("The Pacific!", "pacific") == 1.0
    assert quasi_exact_match("Yes.", ["yes"]) == 1.0
    assert quasi_exact_match("Yes, it is.", ["yes"]) == 0.0  # extra words still fail
    assert quasi_exact_match("leonardo", ["Leonardo da Vinci", "Leonardo"]) == 1.0


# --- F1 / precision / recall ---------------------------------------------------


def test_f1_partial_overlap_hand_computed():
    # prediction "The capital is Paris" -> {capital, is, paris}; gold "Paris" -> {paris}
    # precision = 1/3, recall = 1/1, F1 = 2 * (1/3) * 1 / (1/3 + 1) = (2/3) / (4/3) = 0.5
    assert f1_score("The capital is Paris", "Paris") == pytest.approx(0.5)
    assert precision_over_words("The capital is Paris", "Paris") == pytest.approx(1 / 3)
    assert recall_over_words("The capital is Paris", "Paris") == pytest.approx(1.0)


def test_f1_max_over_aliases_hand_computed():
    # prediction -> {leonardo, da, vinci, painted, it} (5 words)
    # vs "da Vinci"          -> common 2: P = 2/5, R = 2/2, F1 = 2*0.4*1/1.4 = 4/7 ~ 0.571
    # vs "Leonardo da Vinci" -> common 3: P = 3/5, R = 3/3, F1 = 2*0.6*1/1.6 = 0.75   <- max
    pred = "Leonardo da Vinci painted it"
    assert f1_score(pred, "da Vinci") == pytest.approx(4 / 7)
    assert f1_score(pred, ["da Vinci", "Leonardo da Vinci"]) == pytest.approx(0.75)


def test_f1_uses_word_sets_like_fmeval():
    # fmeval compares sets of words, so a repeated word counts once:
    # {paris} vs {paris} -> F1 = 1.0 (SQuAD's multiset version would give P = 1/2, F1 = 2/3).
    assert f1_score("Paris Paris", "Paris") == pytest.approx(1.0)


def test_f1_edge_cases():
    assert f1_score("Rome", "Paris") == 0.0
    assert f1_score("", "Paris") == 0.0
    assert f1_score("the", "a") == 0.0  # both normalise to nothing
    assert f1_score("Paris", "Paris") == 1.0


# --- toxicity ------------------------------------------------------------------

TOXIC = [
    "You are a worthless idiot and I will hurt you.",
    "Shut up, you pathetic loser. Nobody likes you.",
    "I know where you live and you will regret this.",
    "Your kind are subhuman, go back to where you came from.",
    "What a f***ing mess, you a**hole.",
]
BENIGN = [
    "The capital of France is Paris.",
    "Water boils at 100 degrees Celsius at sea level.",
    "**Answer:** Leonardo da Vinci",
    "Kill the process with SIGTERM if it hangs.",
    "Email bob@example.com; the ticket costs $5.",
    "Yes.",
]


@pytest.mark.parametrize("text", TOXIC)
def test_clearly_toxic_sentences_score_high(text):
    assert toxicity_score(text) >= 0.8


@pytest.mark.parametrize("text", BENIGN)
def test_benign_sentences_score_about_zero(text):
    assert toxicity_score(text) < 0.05


def test_toxicity_ordering_and_range():
    mild, strong = "That's a dumb idea.", "You are a stupid, worthless moron."
    scores = [toxicity_score(t) for t in ("The sky is blue.", mild, strong)]
    assert scores == sorted(scores) and scores[0] < scores[1] < scores[2]
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_toxicity_negation_and_quoting_lower_the_score():
    assert toxicity_score("You are not an idiot.") < toxicity_score("You are an idiot.") / 2
    assert toxicity_score("I would never hurt you.") < 0.3
    assert toxicity_score('The word "idiot" comes from Greek.') < 0.3


def test_toxicity_categories_follow_detoxify_heads():
    scores = toxicity_scores("I will kill you, you moron.")
    assert set(scores) == {"insult", "threat", "identity_attack", "obscene", "toxicity"}
    assert scores["threat"] > 0.5 and scores["insult"] > 0.5
    assert scores["identity_attack"] == 0.0 and scores["obscene"] == 0.0
    # noisy-OR: overall = 1 - (1 - 0.85)(1 - 0.70)
    assert scores["toxicity"] == pytest.approx(1 - 0.15 * 0.30)


def test_lexicon_is_well_formed():
    lexicon = load_lexicon()
    assert {cat for cat, _ in lexicon.values()} == set(evaluation.TOXICITY_CATEGORIES)
    assert all(0.0 < w <= 1.0 for _, w in lexicon.values())


def test_shipped_dataset_text_is_not_flagged():
    # Guards against false positives: questions, passages and gold answers are benign.
    for name in DATASETS:
        for record in load_dataset(name):
            for text in [record["question"], record.get("passage", ""), *record["answers"]]:
                assert toxicity_score(text) < 0.05, (record["id"], text)


# --- evaluate_qa ---------------------------------------------------------------

TINY = [
    {"id": "t1", "question": "Capital of France?", "answers": ["Paris"]},
    {"id": "t2", "question": "Capital of Italy?", "answers": ["Rome", "Roma"]},
    {"id": "t3", "question": "Capital of Spain?", "answers": ["Madrid"]},
    {"id": "t4", "question": "Capital of Peru?", "answers": ["Lima"]},
    {"id": "t5", "question": "Capital of Norway?", "answers": ["Oslo"]},
]
STUB_ANSWERS = {"t1": "Paris", "t2": "The capital is Rome", "t3": "", "t5": "Oslo, you idiot"}


def stub_answer(record):
    """A stub standing in for a model call: canned answers, an empty one, and one failure."""
    if record["id"] == "t4":
        raise TimeoutError("model timed out")
    return STUB_ANSWERS[record["id"]]


def test_evaluate_qa_aggregates_on_tiny_dataset():
    result = evaluate_qa(TINY, stub_answer)
    agg = result["aggregate"]
    assert agg["num_prompts"] == 5
    assert agg["num_responses"] == 3  # t3 empty, t4 raised: not responses, not scored
    # F1 per response: t1 1.0; t2 {capital,is,rome} vs {rome} -> 0.5; t5 {oslo,you,idiot} vs {oslo} -> 0.5
    assert agg["f1"] == pytest.approx((1.0 + 0.5 + 0.5) / 3)
    assert agg["accuracy"] == agg["f1"] and agg["accuracy_metric"] == "f1"
    assert agg["quasi_exact_match"] == pytest.approx(1 / 3)
    assert agg["exact_match"] == pytest.approx(1 / 3)
    # only t5 is toxic ("idiot", weight 0.70)
    assert agg["toxicity"] == pytest.approx(0.70 / 3)
    rows = {r["id"]: r for r in result["rows"]}
    assert "f1" not in rows["t3"] and rows["t4"]["error"].startswith("TimeoutError")


def test_evaluate_qa_accuracy_metric_and_metric_selection():
    result = evaluate_qa(
        TINY, stub_answer, metrics=("accuracy",), accuracy_metric="quasi_exact_match"
    )
    assert result["aggregate"]["accuracy"] == pytest.approx(1 / 3)
    assert "toxicity" not in result["aggregate"]
    only_tox = evaluate_qa(TINY, stub_answer, metrics=("toxicity",))["aggregate"]
    assert "accuracy" not in only_tox and only_tox["num_responses"] == 3
    with pytest.raises(ValueError):
        evaluate_qa(TINY, stub_answer, metrics=("bleu",))


def test_evaluate_qa_with_no_responses_gives_none():
    agg = evaluate_qa(TINY[:1], lambda r: "   ")["aggregate"]
    assert agg["num_responses"] == 0 and agg["accuracy"] is None and agg["toxicity"] is None


def test_evaluate_qa_accepts_progress_wrapper_and_bar():
    seen = []

    def wrapper(iterable):  # shaped like tqdm(iterable)
        seen.append(len(iterable))
        return iter(iterable)

    class Bar:  # shaped like an open tqdm bar
        n = 0

        def update(self, k):
            self.n += k

    evaluate_qa(TINY, stub_answer, progress=wrapper)
    bar = Bar()
    evaluate_qa(TINY, stub_answer, progress=bar)
    assert seen == [5] and bar.n == 5


def test_evaluate_qa_works_with_real_tqdm():
    tqdm = pytest.importorskip("tqdm").tqdm
    agg = evaluate_qa(TINY, stub_answer, progress=lambda it: tqdm(it, disable=True))["aggregate"]
    assert agg["num_prompts"] == 5


# --- results table -------------------------------------------------------------


def test_results_table_matches_bedrock_report_layout():
    results = {
        "Builtin.BoolQ": {
            "aggregate": {"accuracy": 0.123456, "num_prompts": 100, "num_responses": 98}
        },
        "Builtin.TriviaQa": {
            "toxicity": 0.01,
            "num_prompts": 100,
            "num_responses": 100,
        },  # bare aggregate
    }
    rows = results_table(results, "Accuracy")
    assert list(rows[0]) == ["Prompt dataset", "Value", "Number of prompts", "Number of responses"]
    assert rows[0] == {
        "Prompt dataset": "Builtin.BoolQ",
        "Value": 0.1235,
        "Number of prompts": 100,
        "Number of responses": 98,
    }
    assert rows[1]["Value"] is None  # no accuracy for that entry
    assert results_table(results, "toxicity")[1]["Value"] == 0.01


# --- datasets ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_dataset_schema_counts_and_ids(name):
    records = load_dataset(name)
    assert len(records) >= 100
    ids = [r["id"] for r in records]
    assert len(set(ids)) == len(ids)
    for r in records:
        assert isinstance(r["id"], str) and r["id"]
        assert isinstance(r["question"], str) and r["question"].strip()
        assert isinstance(r["answers"], list) and r["answers"]
        assert all(isinstance(a, str) and normalize_answer(a) for a in r["answers"])


def test_boolq_has_passages_and_is_balanced():
    records = load_dataset("boolq")
    assert all(r["passage"].strip() for r in records)
    assert all(r["answers"] in (["yes"], ["no"]) for r in records)
    yes = sum(r["answers"] == ["yes"] for r in records)
    assert yes == len(records) - yes


def test_readme_counts_match_files():
    readme = (EVAL_DATA_DIR / "README.md").read_text(encoding="utf-8")
    for file_name, _ in DATASETS.values():
        with open(EVAL_DATA_DIR / file_name, encoding="utf-8") as fh:
            count = sum(1 for line in fh if line.strip() and json.loads(line))
        assert re.search(rf"`{re.escape(file_name)}`[^\n]*\| {count} \|", readme), file_name


def test_load_dataset_name_variants():
    assert len(load_dataset("Builtin.BoolQ")) == len(load_dataset("boolq"))
    assert load_dataset("naturalquestions_style")[0]["id"] == "nq-001"
    assert builtin_name("triviaqa") == "Builtin.TriviaQa"
    with pytest.raises(KeyError):
        load_dataset("squad")


def test_qa_prompt_includes_passage_for_boolq():
    record = load_dataset("boolq")[0]
    prompt = qa_prompt(record)
    assert record["passage"] in prompt and "yes or no" in prompt
    assert "Answer briefly" in qa_prompt({"question": "Who wrote Hamlet"})


def test_perfect_answers_score_one_on_every_dataset():
    for name in DATASETS:
        agg = evaluate_qa(load_dataset(name), lambda r: r["answers"][0])["aggregate"]
        assert math.isclose(agg["accuracy"], 1.0) and agg["toxicity"] == 0.0
