"""The install is locked: every requirement of requirements.txt is pinned in requirements.lock at
a version its range allows, with hashes (regenerate with `make lock` after editing the ranges)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]


def _requirements() -> list[Requirement]:
    lines = (REPO / "requirements.txt").read_text().splitlines()
    return [Requirement(line.split("#")[0].strip()) for line in lines
            if line.split("#")[0].strip()]


def _pins() -> dict[str, list[Version]]:
    pins: dict[str, list[Version]] = {}
    for m in re.finditer(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;\\]+)", (REPO / "requirements.lock")
                         .read_text(), re.M):
        name = canonicalize_name(m.group(1).split("[")[0])
        pins.setdefault(name, []).append(Version(m.group(2)))
    return pins


def test_every_requirement_is_pinned_within_its_range():
    pins = _pins()
    for req in _requirements():
        versions = pins.get(canonicalize_name(req.name))
        assert versions, f"{req.name} is not in requirements.lock: run `make lock`"
        for v in versions:
            assert req.specifier.contains(v, prereleases=True), (
                f"requirements.lock pins {req.name}=={v}, outside {req.specifier}: run `make lock`")


def test_every_pin_has_hashes():
    text = (REPO / "requirements.lock").read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    pinned = [b for b in blocks if "==" in b.splitlines()[0]]
    assert len(pinned) > 50
    assert all("--hash=sha256:" in b for b in pinned)


def test_local_bedrocks_declared_dependencies_use_the_workshops_ranges():
    """pyproject's dependencies (for installing local_bedrock on its own) are the same
    requirements, with the same ranges, as requirements.txt: one place decides a version."""
    import pytest

    toml = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    project = toml.loads((REPO / "pyproject.toml").read_text())["project"]
    ranges = {re.split(r"[<>=\[ ]", line)[0].lower(): line.split("#")[0].strip()
              for line in (REPO / "requirements.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")}
    declared = project["dependencies"] + project["optional-dependencies"]["knowledge-bases"]
    assert len(declared) >= 8
    for requirement in declared:
        assert ranges.get(re.split(r"[<>=\[ ]", requirement)[0].lower()) == requirement, requirement
