"""`make lab`: JupyterLab on the checkout, offline by default, opening on the first notebook.

    python -m scripts.lab [jupyter lab options]

The browser test (tests/browser/) starts JupyterLab with the same `command()` and `environment()`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from scripts import kernel

REPO = kernel.REPO
FIRST_NOTEBOOK = "00_prerequisites/01_setup_and_modes.ipynb"


def command(notebook_dir: Path = REPO, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The `jupyter lab` command line: opens (and prints the URL of) the first notebook."""
    args = [str(Path(sys.executable).parent / "jupyter"), "lab", f"--notebook-dir={notebook_dir}",
            f"--LabApp.default_url=/lab/tree/{FIRST_NOTEBOOK}"]
    if os.name == "posix" and os.geteuid() == 0:
        args.append("--allow-root")
    return args + list(extra)


def environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: WORKSHOP_MODE defaults to offline (kernels inherit it)."""
    env = dict(os.environ if base is None else base)
    env["WORKSHOP_MODE"] = env.get("WORKSHOP_MODE") or "offline"
    return env


def main(argv: list[str]) -> None:
    """Register this checkout's kernel if needed, then replace this process with JupyterLab."""
    message = kernel.ensure()
    if message:
        print(message)
    cmd = command(REPO, argv)
    os.execve(cmd[0], cmd, environment())


if __name__ == "__main__":
    main(sys.argv[1:])
