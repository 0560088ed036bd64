"""Lab 06 data: the SQLite order system matches its JSON source, and the task set is sound
(calls valid against the tool schemas, expected answers produced by the expected calls)."""

from __future__ import annotations

import json
import runpy
import sqlite3

import jsonschema
import pytest

from utils import agents

DATA = agents.LAB / "data"


def rows(db, sql):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_shipped_database_is_what_the_script_builds(tmp_path):
    build = runpy.run_path(str(DATA / "build_orders_db.py"))["build"]
    fresh = build(DATA / "orders.json", tmp_path / "orders.db")
    for table in ("customers", "orders", "order_items"):
        sql = f"SELECT * FROM {table} ORDER BY 1, 2"
        assert rows(fresh, sql) == rows(agents.ORDERS_DB, sql), f"{table}: rebuild orders.db"


def test_order_totals_add_up():
    source = json.loads((DATA / "orders.json").read_text())
    for order in source["orders"]:
        got = agents.lookup_order(order["order_id"])
        items = sum(i["qty"] * i["unit_price"] for i in order["items"])
        assert got["total"] == pytest.approx(items + order["shipping"])
        assert got["status"] in agents.ORDER_STATUSES


def test_task_set_is_large_and_varied():
    tasks = agents.load_tasks()
    assert len(tasks) >= 30
    assert len({t["id"] for t in tasks}) == len(tasks)
    cats = {t["category"] for t in tasks}
    assert {"order", "calculator", "knowledge", "parallel", "sequential", "error",
            "no tool"} <= cats
    assert sum(len(t["expected_calls"]) > 1 for t in tasks) >= 5  # multi-tool tasks


def test_expected_calls_are_valid_tool_inputs():
    for task in agents.load_tasks():
        for call in task["expected_calls"]:
            spec = agents.TOOL_SPECS[call["name"]]
            schema = spec["inputSchema"]["json"]
            props = schema["properties"]
            for key in call["input"]:
                assert key in props, f"{task['id']}: {key} not in {call['name']}"
            if set(schema["required"]) <= set(call["input"]):
                jsonschema.validate(call["input"], schema,
                                    format_checker=jsonschema.FormatChecker())


def test_expected_answers_come_from_the_expected_calls():
    """Running a task's expected calls must produce every string its answer is checked for
    (knowledge and no-tool tasks excepted: their answers come from documents or the model)."""
    toolbox = agents.Toolbox()
    for task in agents.load_tasks():
        calls = task["expected_calls"]
        if not calls or any(set(agents.TOOL_SPECS[c["name"]]["inputSchema"]["json"]["required"])
                            - set(c["input"]) for c in calls):
            continue
        outputs = " ".join(json.dumps(toolbox.execute(c["name"], c["input"]).output)
                           for c in calls)
        for want in task["answer_contains"]:
            alts = want if isinstance(want, list) else [want]
            assert any(agents._norm(a) in agents._norm(outputs) for a in alts), (
                f"{task['id']}: {want!r} not in the outputs of its expected calls")


def test_knowledge_answers_are_in_the_corpus():
    corpus = " ".join(p.read_text(errors="ignore") for p in agents.CORPUS_DIR.glob("*.md"))
    corpus += " ".join(p.read_text(errors="ignore") for p in agents.CORPUS_DIR.glob("*.txt"))
    pdf_topics = {"t19"}  # the warranty policy is a PDF
    for task in agents.load_tasks():
        if task["category"] == "knowledge" and task["id"] not in pdf_topics:
            for want in task["answer_contains"]:
                assert want.lower() in corpus.lower(), f"{task['id']}: {want}"
