"""Run a project's pytest suite in this process and return one row per test (notebook 08.10).

`run(project, *paths)` is `pytest.main([...])` on the project (or some of its test files) with a small plugin that keeps, per test,
its outcome, the Bedrock calls it made (from the `local_bedrock` fixture, retries included) and
why it failed. Each run imports the project's modules afresh, as a new CI job would.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import pytest

__all__ = ["counts", "run"]


class _Rows:
    """pytest plugin: one row per test."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        try:
            return (yield)
        finally:
            mock = item.funcargs.get("local_bedrock")
            if mock is not None:
                item.user_properties.append(("calls", list(mock.calls)))

    def pytest_runtest_logreport(self, report) -> None:
        if report.when == "call" or (report.when == "setup" and not report.passed):
            calls = dict(report.user_properties).get("calls")
            self.rows.append({"test": report.nodeid.split("::")[-1], "outcome": report.outcome,
                              "Bedrock calls": _calls(calls), "why it failed": _why(report)})


def run(project: str | Path, *paths: str, k: str | None = None,
        env: dict[str, str | None] | None = None) -> list[dict]:
    """Run pytest on `project` (its pytest.ini applies), or on `paths` inside it; one row per test.

    k: pytest's -k expression. env: environment variables for the run (None removes one),
    restored afterwards."""
    root = Path(project).resolve()
    args = [str(root / p) for p in paths] or [str(root)]
    if k:
        args += ["-k", k]
    project = str(root)
    # a fresh import of the project's files (and none of another project's with the same names)
    stems = {p.stem for p in root.rglob("*.py")}
    for name, module in list(sys.modules.items()):
        if name in stems or str(getattr(module, "__file__", None) or "").startswith(project):
            del sys.modules[name]
    saved = {name: os.environ.get(name) for name in env or {}}
    _set(env or {})
    rows = _Rows()
    try:
        pytest.main([*args, "-p", "no:terminal"], plugins=[rows])
    finally:
        _set(saved)
    return rows.rows


def counts(rows: list[dict]) -> dict[str, int]:
    """Outcome counts, as pytest's summary line gives them: {"passed": 7, "failed": 1}."""
    return dict(Counter(r["outcome"] for r in rows))


def _set(env: dict[str, str | None]) -> None:
    for key, value in env.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _calls(calls) -> str:
    """ "ThrottlingException x3", or each call (with its model when several models were called)."""
    if calls is None:
        return "-"
    if not calls:
        return "none"
    several = len({c.model_id for c in calls}) > 1
    names = [(c.error_code or str(c.status)) + (f" ({c.model_id})" if several else "") for c in calls]
    if len(set(names)) == 1 and len(names) > 1:
        return f"{names[0]} x{len(names)}"
    return ", ".join(names)


def _why(report) -> str:
    if not report.failed:
        return ""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return text.splitlines()[0][:90]
