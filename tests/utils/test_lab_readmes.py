"""Every lab README opens with objectives, prerequisites, a 30- and a 60-minute path naming its
own notebooks, and the live cost; INSTRUCTORS.md exists, is linked, and names real notebooks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LABS = sorted(p for p in REPO.glob("[0-9][0-9]_*") if p.is_dir() and any(p.glob("[0-9][0-9]_*.ipynb")))
OPENING = ["Learning objectives", "Prerequisites", "Paths", "Live cost"]
PATHS = {"Core path (30 minutes)": 30, "Full path (60 minutes)": 60}
INSTRUCTORS = REPO / "INSTRUCTORS.md"


def sections(text: str, level: str = "## ") -> dict[str, str]:
    """Heading -> body, for the headings of one level, in document order."""
    parts = re.split(rf"(?m)^{level}(.+)$", text)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def path_rows(body: str) -> list[tuple[int, str]]:
    """(minutes, notebook) of each row of a path table: `| 12 | `01_x.ipynb` | ... |`."""
    rows = re.findall(r"(?m)^\|\s*(\d+)\s*\|\s*`([^`]+)`\s*\|", body)
    return [(int(minutes), notebook) for minutes, notebook in rows]


def notebook_refs(text: str) -> set[str]:
    """Every notebook a text names: `NN_lab/NN_name.ipynb`, a bare `NN_name.ipynb` or `NN.MM`."""
    refs = set(re.findall(r"\b(\d\d_[a-z0-9_]+/\d\d_[a-z0-9_]+\.ipynb)", text))
    bare = set(re.findall(r"(?<![/\w])(\d\d_[a-z0-9_]+\.ipynb)", text))
    dotted = set(re.findall(r"(?<![\d.$])(0\d)\.(\d\d)(?!\d|\.\d)", text))
    return refs | {f"*/{b}" for b in bare} | {f"{lab}_*/{nb}_*.ipynb" for lab, nb in dotted}


def exists(ref: str) -> bool:
    return any(REPO.glob(ref)) if "*" in ref else (REPO / ref).exists()


def test_every_lab_is_found():
    assert [p.name[:2] for p in LABS] == [f"{i:02d}" for i in range(9)], [p.name for p in LABS]


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_readme_opens_with_objectives_prerequisites_paths_and_cost(lab):
    readme = lab / "README.md"
    assert readme.exists(), f"{lab.name} has no README.md"
    found = sections(readme.read_text())
    assert list(found)[:len(OPENING)] == OPENING, (
        f"{lab.name}/README.md must open with the sections {OPENING}, found {list(found)[:6]}")
    objectives = re.findall(r"(?m)^- ", found["Learning objectives"])
    assert 3 <= len(objectives) <= 5, f"{lab.name}: {len(objectives)} learning objectives (3-5)"
    prereq = found["Prerequisites"]
    for what in ("**Labs:**", "**Live:**"):
        assert what in prereq, f"{lab.name}: the prerequisites say nothing under {what}"


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_paths_add_up_and_name_the_labs_own_notebooks(lab):
    paths = sections(sections((lab / "README.md").read_text())["Paths"], "### ")
    assert set(PATHS) <= set(paths), f"{lab.name}: paths found {list(paths)}, need {list(PATHS)}"
    own = {p.name for p in lab.glob("[0-9][0-9]_*.ipynb")}
    named = {}
    for title, minutes in PATHS.items():
        rows = path_rows(paths[title])
        assert rows, f"{lab.name}: the {title} table has no rows"
        assert sum(m for m, _ in rows) == minutes, (
            f"{lab.name}: the {title} adds up to {sum(m for m, _ in rows)} minutes")
        missing = [nb for _, nb in rows if nb not in own]
        assert not missing, f"{lab.name}: the {title} names notebooks that do not exist: {missing}"
        named[title] = {nb for _, nb in rows}
    core, full = named.values()
    assert core <= full, f"{lab.name}: the core path has notebooks the full path lacks: {core - full}"


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_live_cost_is_an_estimate_in_dollars_with_its_date_and_what_keeps_billing(lab):
    cost = sections((lab / "README.md").read_text())["Live cost"]
    assert re.search(r"\$\d", cost), f"{lab.name}: the live cost gives no USD figure"
    assert "estimate" in cost.lower(), f"{lab.name}: the live cost does not say it is an estimate"
    assert re.search(r"\b20\d\d-\d\d-\d\d\b", cost), f"{lab.name}: the live cost has no date"
    assert "**Keeps billing after the lab:**" in cost, (
        f"{lab.name}: the live cost does not say whether anything keeps billing after the lab")


def test_instructors_guide_exists_and_is_linked_from_the_readme():
    assert INSTRUCTORS.exists(), "INSTRUCTORS.md is missing"
    top = (REPO / "README.md").read_text().split("\n## ")[0]
    assert "(INSTRUCTORS.md)" in top, "README.md's top section does not link INSTRUCTORS.md"
    guide = sections(INSTRUCTORS.read_text())
    for needed in ("Agendas", "The day before", "When the network fails", "A shared JupyterHub",
                   "The clean-up drill", "The ten failures attendees hit most"):
        assert any(h.startswith(needed) for h in guide), f"INSTRUCTORS.md has no '{needed}' section"


def test_instructors_guide_names_only_notebooks_that_exist():
    refs = notebook_refs(INSTRUCTORS.read_text())
    assert len(refs) >= 10, f"INSTRUCTORS.md names only {len(refs)} notebooks: is the pattern right?"
    missing = sorted(r for r in refs if not exists(r))
    assert not missing, f"INSTRUCTORS.md names notebooks that do not exist: {missing}"


def test_the_reference_checker_catches_a_wrong_name():
    refs = notebook_refs("Run `03_knowledge_bases/09_nothing.ipynb`, `99_gone.ipynb` and 08.99.")
    assert sorted(r for r in refs if not exists(r)) == [
        "*/99_gone.ipynb", "03_knowledge_bases/09_nothing.ipynb", "08_*/99_*.ipynb"]
    assert all(exists(r) for r in notebook_refs("See 08.10 and `00_prerequisites/01_setup_and_modes.ipynb`."))
