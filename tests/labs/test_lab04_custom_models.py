"""04_customization/custom_models.py: the JSONL validator (one test per kind of problem), split,
lengths, chunking, hyperparameters, metric file locations and costs."""

from __future__ import annotations

import json

import pytest

from local_bedrock.customization import specs
from tests.lab_modules import load

cz = load("04_customization", "custom_models")

NOVA = "amazon.nova-micro-v1:0"
TITAN = "amazon.titan-text-express-v1"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
LLAMA = "meta.llama3-1-8b-instruct-v1:0"


def nova_lines(n: int = 10) -> list[str]:
    return [json.dumps(cz.to_conversation(f"Ticket: my robot number {i} is broken", "floor-robots",
                                          "Route the ticket.")) for i in range(n)]


def kinds(report) -> list[tuple]:
    return [(p.line, p.kind) for p in report.problems]


def test_a_clean_file_passes_for_each_format():
    assert cz.validate_jsonl("\n".join(nova_lines()), NOVA).ok
    titan = [cz.to_prompt_completion(f"Q{i}", f"A{i}") for i in range(3)]
    assert cz.validate_jsonl(titan, TITAN).ok
    cpt = [cz.to_pretraining(f"Passage {i}.") for i in range(3)]
    assert cz.validate_jsonl(cpt, TITAN, "CONTINUED_PRE_TRAINING").ok
    haiku = [cz.to_claude_messages(f"Q{i}", f"A{i}", "Be brief.") for i in range(40)]
    assert cz.validate_jsonl(haiku, HAIKU).ok


def test_bad_json_is_reported_with_its_line():
    lines = nova_lines()
    lines[3] = lines[3][:-5]
    lines.insert(6, "[1, 2]")
    report = cz.validate_jsonl("\n".join(lines), NOVA)
    assert kinds(report) == [(4, "json"), (7, "json")]
    assert "column" in report.problems[0].message


def test_wrong_keys_for_the_models_format():
    lines = nova_lines()
    lines[1] = json.dumps(cz.to_prompt_completion("Ticket: x", "billing"))  # Titan's format for Nova
    lines[8] = json.dumps({**json.loads(lines[8]), "label": "billing"})
    report = cz.validate_jsonl("\n".join(lines), NOVA)
    assert (2, "keys") in kinds(report) and (9, "keys") in kinds(report)
    assert any("label" in p.message for p in report.problems if p.line == 9)
    titan = cz.validate_jsonl([{"prompt": "x"}], TITAN)
    assert [(p.line, p.kind) for p in titan.problems] == [(1, "keys")]


def test_empty_turns_and_fields():
    lines = nova_lines()
    lines[2] = json.dumps(cz.to_conversation("Ticket: x", "  ", "sys"))
    report = cz.validate_jsonl("\n".join(lines), NOVA)
    assert kinds(report) == [(3, "empty")]
    assert "messages[1] (assistant)" in report.problems[0].message
    titan = cz.validate_jsonl([cz.to_prompt_completion("", "a")], TITAN)
    assert kinds(titan) == [(1, "empty")]
    cpt = cz.validate_jsonl([{"input": ""}], TITAN, "CONTINUED_PRE_TRAINING")
    assert kinds(cpt) == [(1, "empty")]


def test_role_order_and_last_turn():
    lines = nova_lines()
    record = json.loads(lines[0])
    record["messages"] = record["messages"][:1]
    lines[0] = json.dumps(record)
    reversed_ = json.loads(lines[5])
    reversed_["messages"].reverse()
    lines[5] = json.dumps(reversed_)
    report = cz.validate_jsonl("\n".join(lines), NOVA)
    assert {(1, "roles"), (6, "roles")} <= set(kinds(report))
    assert all(p.kind == "roles" for p in report.problems)


def test_wrong_types_per_format():
    conv = json.loads(nova_lines(1)[0])
    conv["messages"][0]["content"] = "a plain string is Claude's format, not Nova's"
    claude = cz.to_claude_messages("q", "a")
    claude["messages"][1]["content"] = [{"text": "blocks are Nova's format"}]
    assert ("types" in [p.kind for p in cz.validate_jsonl([conv] * 8, NOVA).problems])
    assert ("types" in [p.kind for p in cz.validate_jsonl([claude] * 32, HAIKU).problems])


def test_reserved_words_for_nova_only():
    lines = nova_lines()
    lines[4] = json.dumps(cz.to_conversation("Ticket: User: my password fails", "account"))
    assert kinds(cz.validate_jsonl("\n".join(lines), NOVA)) == [(5, "reserved")]
    titan = [cz.to_prompt_completion("User: hi", "Assistant: hello")]
    assert cz.validate_jsonl(titan, TITAN).ok


def test_records_over_the_token_limit_and_batch_size():
    long = "word " * 3000  # ~3,000 tokens: under Titan's 4,096 at batch size 1, over 2,048 at 2
    records = [cz.to_prompt_completion(long, "a"), cz.to_prompt_completion("short", "a")]
    assert cz.validate_jsonl(records, TITAN).ok
    report = cz.validate_jsonl(records, TITAN, hyperparameters={"batchSize": "2"})
    assert kinds(report) == [(1, "tokens")]
    assert "2,048" in report.problems[0].message
    assert report.tokens[0] > 2048 and report.tokens[1] < 10


def test_too_few_and_too_many_records():
    report = cz.validate_jsonl("\n".join(nova_lines(7)), NOVA)
    assert kinds(report) == [(None, "count")] and "8 to 20,000" in report.problems[0].message
    assert cz.validate_jsonl("\n".join(nova_lines(8)), NOVA).ok
    llama = [cz.to_prompt_completion(f"q{i}", "a") for i in range(99)]
    assert kinds(cz.validate_jsonl(llama, LLAMA)) == [(None, "count")]
    assert cz.validate_jsonl(nova_lines(3), NOVA, validation=True).ok  # no minimum for validation
    assert cz.validate_jsonl(nova_lines(3), NOVA, count_records=False).ok


def test_every_problem_is_reported_not_only_the_first(tmp_path):
    lines = nova_lines(9)
    lines[0] = "{oops"
    lines[4] = json.dumps(cz.to_conversation("Ticket: x", ""))
    lines[8] = json.dumps({"prompt": "p", "completion": "c"})
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(lines) + "\n\n")
    report = cz.validate_jsonl(path, NOVA)
    assert report.name == "train.jsonl" and report.records == 9
    assert [p.line for p in report.problems] == [1, 5, 9, 9]
    assert report.by_kind() == {"json": 1, "empty": 1, "keys": 2}
    assert "4 problems" in repr(report)


def test_unknown_method_is_a_clear_error():
    with pytest.raises(KeyError, match="CONTINUED_PRE_TRAINING"):
        cz.validate_jsonl(nova_lines(), NOVA, "CONTINUED_PRE_TRAINING")


def test_split_is_stratified_seeded_and_complete():
    records = [{"id": i, "label": "ab"[i % 2] if i < 80 else "c"} for i in range(100)]
    train, valid = cz.split_train_validation(records, 0.1, seed=1, key=lambda r: r["label"])
    assert sorted(r["id"] for r in train + valid) == list(range(100))
    assert [sum(r["label"] == x for r in valid) for x in "abc"] == [4, 4, 2]
    again = cz.split_train_validation(records, 0.1, seed=1, key=lambda r: r["label"])
    assert (train, valid) == again
    assert cz.split_train_validation(records, 0.1, seed=2, key=lambda r: r["label"])[1] != valid
    with pytest.raises(ValueError):
        cz.split_train_validation(records, 1.5)


def test_lengths_and_chunks():
    summary = cz.length_summary([5, 1, 3, 2, 4])
    assert summary == {"records": 5, "min": 1, "median": 3, "p90": 5, "p99": 5, "max": 5, "mean": 3.0}
    text = "\n\n".join(f"Paragraph {i}. " + "Sentence about the Wren V3 dock. " * (3 + i * 12)
                       for i in range(6))
    chunks = cz.chunk_text(text, 120)
    assert all(cz.record_tokens(cz.to_pretraining(c)) <= 120 for c in chunks)
    assert " ".join(" ".join(chunks).split()) == " ".join(text.split())  # nothing lost
    assert len(chunks) < len(text.split(". "))  # neighbours packed together


def test_hyperparameters_are_checked_per_model():
    filled, problems = specs.check_hyperparameters(NOVA, "FINE_TUNING", {"epochCount": "3"})
    assert problems == [] and filled == {"epochCount": "3", "learningRate": "1e-05",
                                         "learningRateWarmupSteps": "10"}
    _, problems = specs.check_hyperparameters(NOVA, "FINE_TUNING", {"epochCount": "6", "batchSize": "8"})
    assert len(problems) == 2 and any("batchSize" in p for p in problems)
    _, problems = specs.check_hyperparameters(TITAN, "FINE_TUNING", {"epochCount": "2.5"})
    assert "integer" in problems[0]
    assert specs.check_hyperparameters(TITAN, "FINE_TUNING", {"batchSize": "64"})[1] == []
    assert specs.customization_id(NOVA) == "amazon.nova-micro-v1:0:128k"
    assert specs.base_id("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0:128k") == NOVA


def test_metric_keys_costs_and_intervals():
    bucket, train_key, valid_key = cz.metrics_keys(
        "s3://my-bucket/out/", "arn:aws:bedrock:us-east-1:1:model-customization-job/x.y:0/abcdef123456")
    assert bucket == "my-bucket"
    assert train_key == "out/model-customization-job-abcdef123456/training_artifacts/step_wise_training_metrics.csv"
    assert valid_key.endswith("validation_artifacts/post_fine_tuning_validation/validation_metrics.csv")
    assert cz.provisioned_cost(TITAN) == pytest.approx(20.50 * 730)
    assert cz.provisioned_cost(TITAN, units=2, commitment="SixMonths", hours=10) == pytest.approx(296.0)
    assert cz.provisioned_cost(NOVA) is None  # not confirmed: not guessed
    assert cz.training_cost(NOVA, 10_000, 2) == pytest.approx(0.02)
    low, high = cz.wilson_interval(29, 40)
    assert 0.56 < low < 0.58 and 0.83 < high < 0.85
    assert cz.wilson_interval(0, 0) == (0.0, 1.0)
