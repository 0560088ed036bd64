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


def live_checks(region: str | None = None) -> list[tuple[str, bool, str]]:
    """Each workshop role against your AWS account (lifecycle, profile, one tiny call)."""
    from utils.access import check_roles

    out = []
    for row in check_roles(region):
        ok = row["call"] in ("ok", "not probed") and row["lifecycle"] in ("ACTIVE", "LEGACY")
        what = (f"{row['role']} in {row['region']}: lifecycle {row['lifecycle']}, "
                f"profile {row['profile']}, call {row['call']}")
        out.append((what, ok, row["fix"] or "see the lifecycle column"))
    return out


def main(argv: list[str] | None = None) -> int:
    """Print each check (with --live, also each role against AWS); exit 1 if any failed."""
    argv = sys.argv[1:] if argv is None else argv
    failed = 0
    found = checks()
    if "--live" in argv:
        found += live_checks()
    from utils.models import rot_warnings

    for what, ok, fix in found:
        print(f"[{'ok' if ok else 'FAIL'}] {what}" + ("" if ok else f"\n       fix: {fix}"))
        failed += not ok
    for line in rot_warnings():
        print(f"[warn] {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
