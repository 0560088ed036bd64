"""A pytest plugin that prints, at the end of a run, where the time went: each notebook's total
(nbval runs one item per cell) and the unit tests per folder, slowest first.

    pytest -p scripts.pytest_times ...      (the Makefile's test targets load it)
"""

from __future__ import annotations

from collections import defaultdict

_TIMES: dict[str, float] = defaultdict(float)


def _group(nodeid: str) -> str:
    """A notebook's path, or a unit test's folder."""
    path = nodeid.split("::", 1)[0]
    return path if path.endswith(".ipynb") else path.rsplit("/", 1)[0] + "/"


def pytest_runtest_logreport(report) -> None:
    """Add each phase (setup, call, teardown) of a test to its notebook's or folder's total."""
    _TIMES[_group(report.nodeid)] += report.duration


def pytest_terminal_summary(terminalreporter) -> None:
    """The time table: notebooks first (slowest first), then unit-test folders."""
    if not _TIMES:
        return
    tr = terminalreporter
    notebooks = sorted(((t, g) for g, t in _TIMES.items() if g.endswith(".ipynb")), reverse=True)
    folders = sorted(((t, g) for g, t in _TIMES.items() if not g.endswith(".ipynb")), reverse=True)
    tr.write_sep("=", "time per notebook and per test folder")
    for title, rows in (("notebooks", notebooks), ("unit tests", folders)):
        if rows:
            tr.write_line(f"{title}: {sum(t for t, _ in rows):7.1f} s")
            for seconds, group in rows:
                tr.write_line(f"  {seconds:7.1f} s  {group}")
    tr.write_line(f"total test time: {sum(_TIMES.values()):.1f} s")
