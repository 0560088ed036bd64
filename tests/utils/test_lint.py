"""ruff is clean on everything a learner or a contributor reads: the packages, tests, scripts,
benchmarks, the example project, and every lab folder (notebooks included, as `make lint` runs it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TARGETS = ["utils", "local_bedrock", "tests", "benchmarks", "examples", "scripts",
           *sorted(p.name for p in REPO.glob("[0-9][0-9]_*") if p.is_dir())]


def test_ruff_finds_nothing():
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists():
        ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (it is in requirements.txt: run make install)")
    assert len(TARGETS) >= 14  # the nine labs are there
    out = subprocess.run([str(ruff), "check", "--output-format", "concise", *TARGETS], cwd=REPO,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:]
