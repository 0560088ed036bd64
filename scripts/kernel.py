"""The checkout's Jupyter kernel: installed in its own venv and named for its path, so two clones
on one machine never share one (a per-user spec ran whichever clone registered it last).

    python -m scripts.kernel          # register it, or re-register when it points elsewhere
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LEGACY_NAME = "bedrock-workshop"  # the per-user spec `make install` used to write


def spec_name(root: Path = REPO) -> str:
    """`bedrock-workshop-<8 hex of the checkout's path>`: one name per clone."""
    digest = hashlib.sha1(str(Path(root).resolve()).encode()).hexdigest()[:8]
    return f"{LEGACY_NAME}-{digest}"


def display_name(root: Path = REPO) -> str:
    """What the Launcher shows: the checkout's folder name, so two clones read differently."""
    return f"Bedrock workshop ({Path(root).resolve().name})"


def spec_dir(prefix: str | Path = sys.prefix, root: Path = REPO) -> Path:
    """Where the spec lives: `<venv>/share/jupyter/kernels/<name>` (what `--sys-prefix` writes)."""
    return Path(prefix) / "share" / "jupyter" / "kernels" / spec_name(root)


def _read(path: Path) -> dict | None:
    try:
        return json.loads((path / "kernel.json").read_text())
    except (OSError, ValueError):
        return None


def problems(root: Path = REPO, prefix: str | Path = sys.prefix,
             python: str = sys.executable) -> list[str]:
    """Why the registered spec is not this checkout's kernel (empty when it is)."""
    spec = _read(spec_dir(prefix, root))
    if spec is None:
        return ["not registered"]
    found = []
    if not spec.get("argv") or spec["argv"][0] != python:
        found.append(f"runs {spec.get('argv', ['?'])[0]}, not {python}")
    if spec.get("env", {}).get("PYTHONPATH") != str(Path(root).resolve()):
        found.append(f"PYTHONPATH {spec.get('env', {}).get('PYTHONPATH')}, not {Path(root).resolve()}")
    if spec.get("display_name") != display_name(root):
        found.append(f"named {spec.get('display_name')!r}")
    return found


def user_kernels() -> Path:
    """The per-user kernels folder (`jupyter --data-dir`/kernels)."""
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "kernels"


def _legacy_is_ours(legacy: Path, root: Path, python: str) -> bool:
    """The old per-user spec points at this checkout (or at a Python that no longer exists)."""
    spec = _read(legacy)
    if spec is None:
        return False
    exe = (spec.get("argv") or [""])[0]
    return (exe == python or spec.get("env", {}).get("PYTHONPATH") == str(Path(root).resolve())
            or not Path(exe).exists())


def ensure(root: Path = REPO, prefix: str | Path = sys.prefix, python: str = sys.executable,
           user_dir: Path | None = None) -> str | None:
    """Register this checkout's kernel in `prefix` unless it is already right; remove the old
    per-user spec when it was this checkout's. Returns what was done, or None."""
    from ipykernel.kernelspec import install

    root = Path(root).resolve()
    done = []
    found = problems(root, prefix, python)
    if found:
        install(kernel_name=spec_name(root), display_name=display_name(root), prefix=str(prefix),
                env={"PYTHONPATH": str(root)})
        done.append(f"registered kernel {display_name(root)!r} ({'; '.join(found)})")
    legacy = (user_dir or user_kernels()) / LEGACY_NAME
    if _legacy_is_ours(legacy, root, python):
        shutil.rmtree(legacy)
        done.append(f"removed the old per-user kernel {LEGACY_NAME!r}")
    elif _read(legacy) is not None:  # another clone's, from before: say so, leave it
        other = _read(legacy).get("env", {}).get("PYTHONPATH", "?")
        done.append(f"note: the Launcher's older kernel 'Bedrock workshop' runs {other}, another "
                    f"clone; `jupyter kernelspec remove {LEGACY_NAME}` removes it")
    return "; ".join(done) or None


if __name__ == "__main__":
    message = ensure()
    if message:
        print(message)
