"""`python -m utils.doctor`: check the install the way the workshop's notebooks will use it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def checks() -> list[tuple[str, bool, str]]:
    """(what, ok, how to fix) for each check."""
    out = []
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    with tempfile.TemporaryDirectory() as tmp:  # a folder outside the repo, like a hosted kernel
        found = subprocess.run([sys.executable, "-c", "import utils; print(utils.__file__)"],
                               capture_output=True, text=True, cwd=tmp, env=env)
    where = found.stdout.strip()
    ours = where.startswith(str(REPO / "utils"))
    out.append(("`import utils` finds the workshop's package", ours,
                f"it found {where or found.stderr.strip()[-200:]}: run `pip uninstall -y utils` "
                f"(a PyPI package of that name shadows ours), then `pip install -e {REPO}`"))
    try:
        from local_bedrock.text.embeddings import embed

        ok = embed(["hello"]).shape == (1, 256)
    except Exception as exc:  # pragma: no cover - reported, not raised
        ok, exc_text = False, str(exc)
    else:
        exc_text = ""
    out.append(("local embeddings load from the wordllama package (no download)", ok,
                f"reinstall wordllama: pip install --force-reinstall wordllama ({exc_text})"))
    import botocore.session

    ops = botocore.session.get_session().get_service_model("bedrock-runtime").operation_names
    out.append(("botocore knows the Converse API", "Converse" in ops,
                "upgrade boto3/botocore: pip install -U boto3"))
    return out


def main() -> int:
    """Print each check; exit 1 if any failed."""
    failed = 0
    for what, ok, fix in checks():
        print(f"[{'ok' if ok else 'FAIL'}] {what}" + ("" if ok else f"\n       fix: {fix}"))
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
