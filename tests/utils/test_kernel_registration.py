"""Each clone registers its own Jupyter kernel, and `make lab` re-registers one that points elsewhere."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from scripts import kernel, lab

PY = sys.executable


def _spec(prefix: Path, root: Path) -> dict:
    return json.loads((kernel.spec_dir(prefix, root) / "kernel.json").read_text())


def test_two_clones_get_two_kernels_each_running_its_own_checkout(tmp_path):
    clone_a, clone_b = tmp_path / "a" / "workshop", tmp_path / "b" / "workshop"
    clone_a.mkdir(parents=True), clone_b.mkdir(parents=True)
    assert kernel.spec_name(clone_a) != kernel.spec_name(clone_b)
    for clone in (clone_a, clone_b):
        kernel.ensure(clone, prefix=clone / ".venv", user_dir=tmp_path / "user")
    for clone in (clone_a, clone_b):
        spec = _spec(clone / ".venv", clone)
        assert spec["env"]["PYTHONPATH"] == str(clone.resolve())
        assert spec["argv"][0] == PY and spec["display_name"] == "Bedrock workshop (workshop)"
    assert not (tmp_path / "user").exists()  # nothing per user: a clone's venv holds its kernel


def test_ensure_is_quiet_when_right_and_repairs_a_spec_that_points_elsewhere(tmp_path):
    root, prefix = tmp_path / "clone", tmp_path / "venv"
    root.mkdir()
    assert "not registered" in kernel.ensure(root, prefix, user_dir=tmp_path / "user")
    assert kernel.problems(root, prefix) == []
    assert kernel.ensure(root, prefix, user_dir=tmp_path / "user") is None
    path = kernel.spec_dir(prefix, root) / "kernel.json"
    spec = json.loads(path.read_text())
    spec["env"]["PYTHONPATH"] = "/elsewhere/other-clone"
    path.write_text(json.dumps(spec))
    assert kernel.problems(root, prefix) == [
        f"PYTHONPATH /elsewhere/other-clone, not {root.resolve()}"]
    assert "registered" in kernel.ensure(root, prefix, user_dir=tmp_path / "user")
    assert _spec(prefix, root)["env"]["PYTHONPATH"] == str(root.resolve())


def test_the_old_per_user_spec_is_removed_only_when_it_was_this_checkouts(tmp_path):
    root, prefix, user = tmp_path / "clone", tmp_path / "venv", tmp_path / "user"
    root.mkdir()
    legacy = user / kernel.LEGACY_NAME
    legacy.mkdir(parents=True)
    other = {"argv": [PY, "-m", "ipykernel_launcher"], "env": {"PYTHONPATH": "/other/clone"}}
    (legacy / "kernel.json").write_text(json.dumps({**other, "argv": ["/bin/sh"]}))
    message = kernel.ensure(root, prefix, python="/no/such/python-here", user_dir=user)
    assert legacy.exists()  # another clone's, still working: left alone, and named
    assert "runs /other/clone, another clone; `jupyter kernelspec remove bedrock-workshop`" in message
    (legacy / "kernel.json").write_text(json.dumps({**other, "env": {"PYTHONPATH": str(root)}}))
    assert "removed" in kernel.ensure(root, prefix, user_dir=user)
    assert not legacy.exists()


def test_make_lab_registers_before_starting_and_opens_the_first_notebook(monkeypatch):
    calls = []
    monkeypatch.setattr(kernel, "ensure", lambda: calls.append("ensure"))
    monkeypatch.setattr(lab.os, "execve", lambda exe, args, env: calls.append((args, env)))
    monkeypatch.delenv("WORKSHOP_MODE", raising=False)
    lab.main(["--no-browser"])
    assert calls[0] == "ensure"
    args, env = calls[1]
    assert f"--LabApp.default_url=/lab/tree/{lab.FIRST_NOTEBOOK}" in args
    assert (lab.REPO / lab.FIRST_NOTEBOOK).exists()
    assert args[-1] == "--no-browser" and env["WORKSHOP_MODE"] == "offline"
    assert lab.environment({"WORKSHOP_MODE": "live"})["WORKSHOP_MODE"] == "live"


def test_the_makefile_uses_them():
    makefile = (lab.REPO / "Makefile").read_text()
    recipe = makefile.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert "-m scripts.lab" in recipe
    assert "ipykernel install" not in makefile and "-m scripts.kernel" in makefile
