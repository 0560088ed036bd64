"""`make preflight`: execute every lab notebook headless and print one row per notebook.

Instructors run it in live mode the day before a workshop (WORKSHOP_MODE=live make preflight).
Executed copies go to build/preflight/<mode>/, invocation logs beside them.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def notebooks(pattern: str = "") -> list[Path]:
    """Every lab notebook (NN_lab/NN_name.ipynb), in order, optionally filtered by substring."""
    found = sorted(REPO.glob("[0-9][0-9]_*/[0-9][0-9]_*.ipynb"))
    return [p for p in found if pattern in str(p.relative_to(REPO))]


def run_one(path: Path, out_dir: Path, log_dir: Path, mode: str) -> dict:
    """Execute one notebook; return its row (status, seconds, invocations, tokens, errors)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    from utils.invocation_log import read_logs
    from utils.metrics import classify

    name = f"{path.parent.name}/{path.name}"
    os.environ.update({"WORKSHOP_MODE": mode, "WORKSHOP_NOTEBOOK": name,
                       "WORKSHOP_LOG_DIR": str(log_dir), "PYTHONPATH": str(REPO)})
    before = len(read_logs(log_dir))
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    status, detail = "ok", ""
    try:
        client.execute()
    except CellExecutionError as exc:
        status, detail = "FAILED", str(exc).strip().splitlines()[-1][:120]
    except Exception as exc:  # kernel died, timeout...
        status, detail = "FAILED", f"{type(exc).__name__}: {exc}"[:120]
    seconds = time.perf_counter() - start
    target = out_dir / path.parent.name / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    records = read_logs(log_dir)[before:]
    return {"notebook": name, "status": status, "seconds": round(seconds, 1),
            "invocations": len(records),
            "input tokens": sum(r["input"].get("inputTokenCount", 0) for r in records),
            "output tokens": sum(r["output"].get("outputTokenCount", 0) for r in records),
            "errors": sum(classify(r) != "ok" for r in records), "detail": detail}


def main(argv: list[str] | None = None) -> int:
    """Run them all, print the table, write build/preflight/<mode>/report.txt."""
    argv = sys.argv[1:] if argv is None else argv
    mode = os.environ.get("WORKSHOP_MODE", "offline")
    out_dir = REPO / "build" / "preflight" / mode
    log_dir = out_dir / "logs"
    paths = notebooks(argv[0] if argv else "")
    if mode in ("live", "record"):  # the roles first: a retired or unreachable model fails fast
        from utils.doctor import live_checks

        problems = [(what, fix) for what, ok, fix in live_checks() if not ok]
        for what, fix in problems:
            print(f"[FAIL] {what}\n       fix: {fix}")
        if problems:
            print("Fix the model roles above before running the notebooks live.")
            return 1
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        tqdm = lambda x, **k: x  # noqa: E731
    rows = [run_one(p, out_dir, log_dir, mode) for p in tqdm(paths, desc=f"preflight ({mode})")]
    from utils.display import Table

    table = Table(rows, ["notebook", "status", "seconds", "invocations", "input tokens",
                         "output tokens", "errors", "detail"], title=f"Preflight, {mode} mode")
    text = repr(table)
    print(text)
    (out_dir / "report.txt").write_text(text + "\n")
    try:
        from utils import dashboard

        report = dashboard.export_html(log_dir, out_dir / "operations_report.html")
        print(f"Operations report: {report}")
    except ImportError:
        pass
    failed = [r for r in rows if r["status"] != "ok"]
    print(f"{len(rows) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
