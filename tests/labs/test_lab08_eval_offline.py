"""Lab 08 notebook 03's claims about offline evaluation hold: real metrics of engine answers."""

from __future__ import annotations

import pytest

from local_bedrock.text.responder import MARKER
from utils import evaluation as ev

MODEL = "amazon.nova-lite-v1:0"


@pytest.fixture
def answer(runtime):
    def ask(prompt: str) -> str:
        resp = runtime.converse(modelId=MODEL, messages=[{"role": "user", "content": [
            {"text": prompt}]}], inferenceConfig={"maxTokens": 50, "temperature": 0})
        return "".join(b.get("text", "") for b in resp["output"]["message"]["content"])
    return ask


def test_closed_book_questions_get_an_honest_reply_and_score_near_zero(answer):
    for name in ("triviaqa", "naturalquestions"):
        result = ev.evaluate_qa(ev.load_dataset(name)[:30], lambda r: answer(ev.qa_prompt(r)))
        assert all(row["response"].startswith(MARKER) for row in result["rows"])
        assert all("not from a language model" in row["response"] for row in result["rows"])
        agg = result["aggregate"]
        assert agg["num_responses"] == 30 and agg["quasi_exact_match"] == 0.0
        assert agg["f1"] < 0.05 and agg["toxicity"] == 0.0


def test_boolq_passage_as_document_is_quoted_and_scores_almost_zero(answer):
    records = ev.load_dataset("boolq")[:20]
    result = ev.evaluate_qa(records, lambda r: answer(
        f"<document>{r['passage']}</document>\n{r['question']}? Answer yes or no."))
    quoted = [row for row, r in zip(result["rows"], records, strict=True)
              if row["response"].startswith(f"{MARKER} From the provided documents:")]
    assert len(quoted) >= 15  # extractive answers from the passage
    assert any(r["passage"].split(".")[0] in row["response"] for row, r in
               zip(result["rows"], records, strict=True))
    assert result["aggregate"]["f1"] < 0.02  # verbose answers lose on NLP-F1


def test_boolq_label_prompt_gives_the_constant_baseline(answer):
    records = ev.load_dataset("boolq")
    result = ev.evaluate_qa(records, lambda r: answer(
        f"Passage: {r['passage']}\nQuestion: {r['question']}?\nAnswer with one of: yes, no."))
    responses = {row["response"] for row in result["rows"]}
    # notebook 03's prose says the engine answers "no" to every record: update it if this fails
    assert responses == {"no"}
    share_no = sum(r["answers"] == ["no"] for r in records) / len(records)
    assert result["aggregate"]["f1"] == pytest.approx(share_no) == 0.5
    assert result["aggregate"]["f1"] == result["aggregate"]["quasi_exact_match"]


def test_results_table_of_engine_run_counts_prompts_and_responses(answer):
    data = {ev.builtin_name(n): ev.load_dataset(n)[:10] for n in ("boolq", "triviaqa")}
    results = {name: ev.evaluate_qa(recs, lambda r: answer(ev.qa_prompt(r)))
               for name, recs in data.items()}
    table = ev.results_table(results, "Accuracy")
    assert [row["Prompt dataset"] for row in table] == ["Builtin.BoolQ", "Builtin.TriviaQa"]
    assert all(row["Number of prompts"] == row["Number of responses"] == 10 for row in table)
