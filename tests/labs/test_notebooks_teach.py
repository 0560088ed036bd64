"""Every notebook teaches the same way (#18): a "Your turn" whose worked solution its notebook runs and
checks (so nbval executes every solution), one short offline callout, little prose about the engine,
and stored outputs that are current and clean."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from scripts.nbtools import OFFLINE_CALLOUT, REPO, engine_prose_share, lab_notebooks, problems

NOTEBOOKS = lab_notebooks()
SOLUTIONS = sorted(p for p in REPO.glob("[0-9][0-9]_*/solutions/*.py") if p.name != "__init__.py")
# 00.03 is where the whole story of the offline engine is told; every other notebook keeps to one callout.
ENGINE_STORY = REPO / "00_prerequisites" / "03_offline_engine.ipynb"
# 08.10's subject is the engine as a test double: it keeps the one callout, not the prose share.
ENGINE_AS_SUBJECT = {ENGINE_STORY, REPO / "08_llmops" / "10_testing_in_ci.ipynb"}
MAX_ENGINE_PROSE = 0.20
YOUR_TURN = re.compile(r"^## Your turn", re.M)
SOLUTION_REF = re.compile(r"solutions/([A-Za-z_]\w*)\.py")


def _markdown(path: Path) -> list[str]:
    """The markdown cells of a notebook, as text."""
    nb = json.loads(path.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]


def _id(path: Path) -> str:
    return f"{path.parent.name[:2]}.{path.stem}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_every_notebook_has_a_your_turn_with_a_worked_solution(path):
    """A "## Your turn" section, which names its worked solution (solutions/NAME.py) beside the lab."""
    cells = _markdown(path)
    at = [i for i, text in enumerate(cells) if YOUR_TURN.search(text)]
    assert at, f"{path.name}: no '## Your turn' section"
    named = {m for text in cells[at[0]:] for m in SOLUTION_REF.findall(text)}
    assert named, f"{path.name}: the Your turn section names no solutions/NAME.py"
    for name in named:
        assert (path.parent / "solutions" / f"{name}.py").is_file(), f"{path.name}: solutions/{name}.py missing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_stored_outputs_are_current_and_clean(path):
    """No stored error, progress bar or widget state, and outputs made by the notebook's current code."""
    assert problems(path) == []


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p != ENGINE_STORY], ids=_id)
def test_offline_is_one_short_callout(path):
    """One "> **Offline ..." callout per notebook and at most a fifth of the prose about the engine:
    the labs teach Bedrock; 00.03 tells the engine's story once."""
    nb = json.loads(path.read_text())
    callouts = sum(len(OFFLINE_CALLOUT.findall(text)) for text in _markdown(path))
    assert callouts == 1, f"{path.name}: {callouts} offline callouts"
    if path in ENGINE_AS_SUBJECT:
        return
    share = engine_prose_share(nb)
    assert share <= MAX_ENGINE_PROSE, f"{path.name}: {share:.0%} of the prose is about the engine"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: f"{p.parent.parent.name[:2]}.{p.stem}")
def test_worked_solution_is_run_and_checked_by_its_notebook(path):
    """Each solution says what it solves, has ``run()`` (no required arguments) and
    ``check(result)``, and a notebook of its lab imports it and calls both in one code cell, so
    nbval executes the solution and asserts its effect in every `make test` (once, not twice)."""
    tree = ast.parse(path.read_text())
    assert ast.get_docstring(tree), f"{path}: say in a docstring which exercise this solves"
    funcs = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    assert {"run", "check"} <= set(funcs), f"{path}: a solution defines run() and check(result)"
    run_args = funcs["run"].args
    assert len(run_args.args) == len(run_args.defaults), f"{path}: run() must need no arguments"
    assert len(funcs["check"].args.args) == 1, f"{path}: check(result) takes the result of run()"
    import_line = re.compile(rf"from solutions\.{path.stem} import|import solutions\.{path.stem}\b")
    cells = [c for nb in path.parent.parent.glob("[0-9][0-9]_*.ipynb")
             for c in _code(nb) if import_line.search(c)]
    assert cells, f"{path.name}: no notebook of {path.parent.parent.name} imports it"
    assert any(re.search(r"\brun\(", c) and re.search(r"\bcheck\(", c) for c in cells), \
        f"{path.name}: the notebook cell that imports it must call run() and check(result)"


def _code(path: Path) -> list[str]:
    """The code cells of a notebook, as text."""
    nb = json.loads(path.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
