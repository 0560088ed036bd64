"""Import a lab's own helper module from the tests, as its notebooks import it (their folder is on
the path: `import guardrail_eval` in 07_guardrails/)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


def load(lab: str, name: str) -> ModuleType:
    """``<lab>/<name>.py`` imported under its own name (the lab folder put on sys.path once)."""
    folder = str(REPO / lab)
    if folder not in sys.path:
        sys.path.append(folder)  # after the repo: a lab module never shadows a package
    return importlib.import_module(name)
