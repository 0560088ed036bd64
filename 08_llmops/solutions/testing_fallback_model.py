"""Worked solution to 08.10's "Your turn": a second model when access to the first is denied.

Three tests pin the behaviour down, against the application exactly as notebook 08.10 writes it
(its `support_app.py` and `conftest.py` cells): a denied first model falls back to the second (one denied call, not
retried, then the fallback answers); throttling never switches model (three attempts, all on the
first); both models denied is `NoAccess` (one call per model). `run()` writes them to a temporary
project and runs pytest there; `check(result)` asserts the outcomes and the calls Bedrock received.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import ci_tests

import utils.models

NOTEBOOK = Path(__file__).resolve().parent.parent / "10_testing_in_ci.ipynb"

TESTS = '''
import os

import pytest

import support_app

TICKET = "The printer on floor 3 jams on every duplex job."
FIRST, SECOND = os.environ["SUPPORT_MODEL_ID"], os.environ["SUPPORT_FALLBACK_MODEL_ID"]


@pytest.mark.local_bedrock(deny_models=[FIRST])
def test_denied_model_falls_back(local_bedrock):
    assert support_app.summarise(TICKET)["model_id"] == SECOND
    assert [(c.model_id, c.error_code) for c in local_bedrock.calls] == [
        (FIRST, "AccessDeniedException"), (SECOND, None)]


@pytest.mark.local_bedrock(faults="rpm=0")
def test_throttling_does_not_switch_model(local_bedrock):
    with pytest.raises(support_app.Busy):
        support_app.summarise(TICKET)
    assert [c.model_id for c in local_bedrock.calls] == [FIRST] * 3


@pytest.mark.local_bedrock(deny_models=[FIRST, SECOND])
def test_both_denied_is_no_access(local_bedrock):
    with pytest.raises(support_app.NoAccess):
        support_app.summarise(TICKET)
    assert [c.model_id for c in local_bedrock.calls] == [FIRST, SECOND]
'''


def written_by_notebook(name: str) -> str:
    """A project file as notebook 08.10 writes it (the body of its `%%writefile` cell)."""
    magic = f"%%writefile {{project}}/{name}\n"
    for cell in json.loads(NOTEBOOK.read_text())["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and magic in source:
            return source.split(magic, 1)[1]
    raise LookupError(f"{NOTEBOOK.name}: no cell writes {name}")


def run(first: str | None = None, second: str | None = None) -> dict:
    """Write the app and the three tests to a temporary project, run pytest, return the rows."""
    first = first or utils.models.CHEAP_MODEL
    second = second or utils.models.TEXT_MODEL
    project = Path(tempfile.mkdtemp(prefix="support-app-fallback-"))
    try:
        (project / "tests").mkdir()
        for name in ("support_app.py", "conftest.py"):
            (project / name).write_text(written_by_notebook(name))
        (project / "pytest.ini").write_text("[pytest]\npythonpath = .\naddopts = -p no:cacheprovider\n")
        (project / "tests" / "test_fallback.py").write_text(TESTS)
        rows = ci_tests.run(project, env={"SUPPORT_MODEL_ID": first,
                                          "SUPPORT_FALLBACK_MODEL_ID": second})
    finally:
        shutil.rmtree(project, ignore_errors=True)
    return {"rows": rows, "counts": ci_tests.counts(rows), "first": first, "second": second}


def check(result: dict) -> None:
    rows = {r["test"]: r for r in result["rows"]}
    assert result["counts"] == {"passed": 3}, result["rows"]
    first, second = result["first"], result["second"]
    assert rows["test_denied_model_falls_back"]["Bedrock calls"] == \
        f"AccessDeniedException ({first}), 200 ({second})"
    assert rows["test_throttling_does_not_switch_model"]["Bedrock calls"] == "ThrottlingException x3"
    assert rows["test_both_denied_is_no_access"]["Bedrock calls"] == \
        f"AccessDeniedException ({first}), AccessDeniedException ({second})"
