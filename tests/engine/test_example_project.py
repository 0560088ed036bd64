"""examples/bedrock_app tests itself with local_bedrock's pytest plugin outside this repository:
a copy of the example in a temporary folder, a copy of just local_bedrock beside it, and a
Python that cannot see the repository (no `utils`, no labs)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "bedrock_app"
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


def _outside(tmp_path: Path) -> tuple[Path, dict]:
    """The example and local_bedrock copied out; an environment where only they are found.

    `python -S` skips site.py, hence the .pth file that puts this repository on the venv's
    path; the venv's site-packages (boto3, moto, pytest ...) is passed explicitly instead."""
    app = tmp_path / "bedrock_app"
    lib = tmp_path / "lib"
    shutil.copytree(EXAMPLE, app, ignore=IGNORE)
    shutil.copytree(REPO / "local_bedrock", lib / "local_bedrock", ignore=IGNORE)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "WORKSHOP_", "PYTEST_")) and k != "PYTHONPATH"}
    env.update(PYTHONPATH=os.pathsep.join([str(lib), sysconfig.get_paths()["purelib"]]),
               PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",  # as in this repo's Makefile: conftest loads it
               HOME=str(tmp_path), WORKSHOP_LOG_DIR=str(tmp_path / "logs"))
    return app, env


def test_example_app_tests_pass_outside_the_repository(tmp_path):
    app, env = _outside(tmp_path)
    probe = subprocess.run(
        [sys.executable, "-S", "-c",
         "import importlib.util as u, local_bedrock; print(local_bedrock.__file__); "
         "print(u.find_spec('utils') is None, u.find_spec('scripts') is None)"],
        cwd=app, env=env, capture_output=True, text=True, timeout=60)
    assert probe.returncode == 0, probe.stderr
    where, isolated = probe.stdout.split("\n")[:2]
    assert Path(where).is_relative_to(tmp_path) and isolated == "True True"

    run = subprocess.run([sys.executable, "-S", "-m", "pytest", "-q", "-rs"], cwd=app, env=env,
                         capture_output=True, text=True, timeout=180)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "8 passed, 1 skipped" in out, out  # the live re-recording test skips without AWS
    assert "RECORD_BEDROCK=1" in out
    # the replayed recording was served from the copy and left as it was
    assert (app / "tests" / "recordings" / "summary.jsonl").read_text() == \
        (EXAMPLE / "tests" / "recordings" / "summary.jsonl").read_text()


def test_package_data_ships_every_engine_data_file():
    """A wheel of this repository carries every data file local_bedrock reads (the guardrail
    classifier's training and background texts): each tracked non-Python file under
    local_bedrock/ matches a package-data pattern in pyproject.toml."""
    tomllib = pytest.importorskip("tomllib")
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["local_bedrock"]
    package = REPO / "local_bedrock"
    shipped = {p for pattern in patterns for p in package.glob(pattern)}
    data = {p for p in package.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")
            and "__pycache__" not in p.parts}
    assert data, "no data files found: the test would prove nothing"
    assert sorted(str(p.relative_to(package)) for p in data - shipped) == []
