"""Lab 04 data: the labelled tickets (schema, balance, held-out split) and the training records
the notebooks build from them."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

from tests.lab_modules import load

LAB = Path(__file__).resolve().parents[2] / "04_customization"
customization = load("04_customization", "custom_models")  # the lab folder on the path: router.py imports it


@pytest.fixture(scope="module")
def router():
    spec = importlib.util.spec_from_file_location("lab04_router", LAB / "router.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tickets():
    return [json.loads(line) for line in (LAB / "data" / "tickets.jsonl").read_text().splitlines()]


def test_schema_and_size(tickets, router):
    assert len(tickets) >= 150
    assert all(set(t) == {"id", "text", "queue", "split"} for t in tickets)
    assert len({t["id"] for t in tickets}) == len(tickets)
    assert len({t["text"].lower() for t in tickets}) == len(tickets)  # no duplicate tickets
    assert {t["queue"] for t in tickets} == set(router.QUEUES)
    assert {t["split"] for t in tickets} == {"train", "test"}
    assert all(5 <= len(t["text"].split()) <= 40 for t in tickets)


def test_balanced_queues_and_a_held_out_test_split(tickets, router):
    per_queue = Counter(t["queue"] for t in tickets)
    assert len(set(per_queue.values())) == 1
    test = Counter(t["queue"] for t in tickets if t["split"] == "test")
    assert set(test) == set(router.QUEUES) and min(test.values()) >= 5


def test_splits_are_disjoint_stratified_and_stable(router):
    train, validation, test = router.splits()
    ids = [t["id"] for t in train + validation + test]
    assert len(ids) == len(set(ids)) == 200
    assert Counter(t["queue"] for t in validation) == {q: 2 for q in router.QUEUES}
    assert [t["id"] for t in router.splits()[1]] == [t["id"] for t in validation]


def test_training_records_pass_the_validator(router):
    train, validation, _ = router.splits()
    records = router.conversation_records(train)
    assert customization.validate_jsonl(records, router.BASE_MODEL).ok
    assert customization.validate_jsonl(router.conversation_records(validation), router.BASE_MODEL,
                                        validation=True).ok
    first = records[0]
    assert first["system"][0]["text"] == router.SYSTEM
    assert first["messages"][1]["content"][0]["text"] in router.QUEUES
    assert all(q in router.SYSTEM for q in router.QUEUES)


def test_resource_names_are_found_by_the_workshop_cleanup(router):
    from utils.cleanup import is_workshop

    for name in (router.MODEL_NAME, router.PT_NAME, router.ROLE_NAME,
                 router.bucket_name("123456789012", "us-east-1")):
        assert is_workshop(name), name
