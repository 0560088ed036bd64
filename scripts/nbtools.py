"""Notebook tooling for authors: build, execute (offline, outputs stored) and check notebooks.

    python -m scripts.nbtools execute 00_prerequisites/01_setup_and_modes.ipynb
    python -m scripts.nbtools check            # every lab notebook
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
MAX_BYTES = 300_000
# A stored progress bar (tqdm's text form) or widget state is noise frozen in git.
_PROGRESS = re.compile(r"\d+%\|[^\n]*\|")
# The one offline callout a notebook carries (00.03 tells the whole story).
OFFLINE_CALLOUT = re.compile(r"^> \*\*Offline", re.M)
_ENGINE_PROSE = re.compile(r"offline|local engine|the engine|stand-in", re.I)


def code_hash(nb: dict) -> str:
    """A digest of a notebook's code cells: stored outputs are stale once it changes."""
    code = "\n\x00".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    return hashlib.sha256(code.encode()).hexdigest()[:16]


def engine_prose_share(nb: dict) -> float:
    """The share of a notebook's markdown words in paragraphs about the offline engine."""
    paragraphs = [p for c in nb["cells"] if c["cell_type"] == "markdown"
                  for p in re.split(r"\n\s*\n", "".join(c["source"]))]
    words = sum(len(p.split()) for p in paragraphs) or 1
    return sum(len(p.split()) for p in paragraphs if _ENGINE_PROSE.search(p)) / words


def new_notebook(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """A notebook from ("md" | "code", source) pairs, with the workshop's kernel metadata."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                                  "name": "python3"},
                   "language_info": {"name": "python"}}
    for kind, source in cells:
        source = source.strip("\n")
        nb.cells.append(nbformat.v4.new_markdown_cell(source) if kind == "md"
                        else nbformat.v4.new_code_cell(source))
    return nb


def _test_kernel_profile() -> Path:
    """The IPython directory `make test` gives its kernels (tests/ipython_kernel_config.py), so
    stored outputs are made under the same kernel settings nbval checks them with."""
    ipython = REPO / "build" / "ipython"
    target = ipython / "profile_default" / "ipython_kernel_config.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text((REPO / "tests" / "ipython_kernel_config.py").read_text())
    return ipython


def execute(path: str | Path, mode: str = "offline", timeout: int = 600) -> None:
    """Run a notebook in its own folder (offline by default) and store its outputs in place."""
    from nbclient import NotebookClient

    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    os.environ.update({"WORKSHOP_MODE": mode, "PYTHONPATH": str(REPO), "TQDM_DISABLE": "1",
                       "WORKSHOP_NOTEBOOK": f"{path.parent.name}/{path.name}"})
    os.environ.setdefault("WORKSHOP_LOG_DIR", str(REPO / "build" / "author-logs"))
    os.environ["IPYTHONDIR"] = str(_test_kernel_profile())
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nb.metadata.pop("widgets", None)  # widget state (progress bars) can be 100 kB of noise
    nb.metadata["workshop"] = {"executed_code": code_hash(nb)}  # see problems(): stale outputs
    for i, cell in enumerate(nb.cells):  # stable ids keep diffs small
        cell["id"] = f"c{i:02d}"
        cell.get("metadata", {}).pop("execution", None)
    nbformat.write(nb, path)


def problems(path: str | Path) -> list[str]:
    """What a newcomer would trip over: empty cells, stored errors, huge files, missing setup."""
    path = Path(path)
    out = []
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    if path.stat().st_size > MAX_BYTES:
        out.append(f"{path}: {path.stat().st_size // 1000} kB (shrink outputs)")
    if any(not "".join(c["source"]).strip() for c in nb["cells"]):
        out.append(f"{path}: an empty cell")
    if any(o.get("output_type") == "error" for c in code for o in c.get("outputs", [])):
        out.append(f"{path}: a stored error output")
    if code and "utils.setup(" not in "".join(code[0]["source"]):
        out.append(f"{path}: the first code cell must call utils.setup()")
    if any(c.get("execution_count") is None for c in code):
        out.append(f"{path}: not executed (run `python -m scripts.nbtools execute {path}`)")
    if nb["cells"] and nb["cells"][0]["cell_type"] != "markdown":
        out.append(f"{path}: must open with a markdown cell (title and overview)")
    if "widgets" in nb["metadata"]:
        out.append(f"{path}: stored widget state (re-execute with scripts.nbtools)")
    if any(_PROGRESS.search(json.dumps(o)) for c in code for o in c.get("outputs", [])):
        out.append(f"{path}: a stored progress bar (run with TQDM_DISABLE=1)")
    stamp = nb["metadata"].get("workshop", {}).get("executed_code")
    if stamp != code_hash(nb):
        out.append(f"{path}: outputs are stale: code changed since they were stored "
                   f"(run `python -m scripts.nbtools execute {path}`)")
    return out


def sources(nb: dict, kind: str) -> list[str]:
    """The source text of each cell of one kind ("markdown" or "code") of a loaded notebook."""
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == kind]


def output_text(cell: dict) -> str:
    """The stored text outputs of one cell (streams and text/plain results), joined."""
    return "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                   for o in cell.get("outputs", []))


def lab_notebooks() -> list[Path]:
    """Every lab notebook in the repo."""
    return sorted(REPO.glob("[0-9][0-9]_*/[0-9][0-9]_*.ipynb"))


def main(argv: list[str]) -> int:
    """CLI: execute PATH... | check [PATH...]."""
    if not argv or argv[0] not in ("execute", "check"):
        print(__doc__)
        return 2
    paths = [Path(p) for p in argv[1:]] or lab_notebooks()
    if argv[0] == "execute":
        for p in paths:
            print(f"executing {p}", flush=True)
            execute(p)
        return 0
    found = [msg for p in paths for msg in problems(p)]
    print("\n".join(found) or f"{len(paths)} notebooks OK")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
