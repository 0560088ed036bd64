"""Lab 08.10's runner (08_llmops/ci_tests.py): one row per test with the Bedrock calls it made,
a fresh import of each project's files (two projects with the same file names do not see each
other's modules), and the environment restored after a run."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[2] / "08_llmops"
CONFTEST = 'pytest_plugins = ["local_bedrock.pytest_plugin"]\n'
INI = "[pytest]\npythonpath = .\naddopts = -p no:cacheprovider\n"
TEST = '''
import os

import pytest

import app


@pytest.mark.local_bedrock(faults="rpm=0")
def test_throttled(local_bedrock):
    with pytest.raises(Exception):
        app.call()


def test_answer(local_bedrock):
    assert app.call() == os.environ["LAB08_EXPECT"]
'''
APP = '''
import boto3
from botocore.config import Config

MODEL = "amazon.nova-micro-v1:0"


def call():
    client = boto3.client("bedrock-runtime", config=Config(retries={{"total_max_attempts": {n}}}))
    client.converse(modelId=MODEL, messages=[{{"role": "user", "content": [{{"text": "hi"}}]}}])
    return "{tag}"
'''


@pytest.fixture(scope="module")
def ci_tests():
    spec = importlib.util.spec_from_file_location("lab08_ci_tests", LAB / "ci_tests.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def project(root: Path, tag: str, attempts: int) -> Path:
    (root / "tests").mkdir(parents=True)
    (root / "conftest.py").write_text(CONFTEST)
    (root / "pytest.ini").write_text(INI)
    (root / "app.py").write_text(APP.format(n=attempts, tag=tag))
    (root / "tests" / "test_app.py").write_text(TEST)
    return root


def test_rows_calls_and_fresh_imports_per_project(ci_tests, tmp_path, monkeypatch):
    monkeypatch.delenv("LAB08_EXPECT", raising=False)
    first = project(tmp_path / "one", "one", attempts=2)
    second = project(tmp_path / "two", "two", attempts=3)

    rows = ci_tests.run(first, env={"LAB08_EXPECT": "one"})
    assert {r["test"]: (r["outcome"], r["Bedrock calls"]) for r in rows} == {
        "test_throttled": ("passed", "ThrottlingException x2"), "test_answer": ("passed", "200")}
    assert "LAB08_EXPECT" not in os.environ  # restored

    # same module and file names, another project: its own app and retry configuration
    rows = ci_tests.run(second, "tests/test_app.py", env={"LAB08_EXPECT": "two"})
    assert [r["Bedrock calls"] for r in rows] == ["ThrottlingException x3", "200"]
    assert ci_tests.counts(rows) == {"passed": 2}

    rows = ci_tests.run(second, k="answer", env={"LAB08_EXPECT": "one"})
    assert [(r["test"], r["outcome"]) for r in rows] == [("test_answer", "failed")]
    assert "AssertionError" in rows[0]["why it failed"]
