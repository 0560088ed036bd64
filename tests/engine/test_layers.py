"""The engine's structure (#16): no import cycles, a lazy package, and no process-wide state
outside the Engine instance except the memo caches named here."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("local_bedrock", "utils")
# Module-level containers that functions may change: memos of pure functions (the same input
# gives the same output whichever engine asks), one-time library patches, and the notebook
# session's own Workshop. Anything else a function keeps between calls belongs on the Engine.
ALLOWED = {
    ("local_bedrock/engine.py", "_SESSION"): "botocore's service models, loaded once",
    ("local_bedrock/guardrails/_text.py", "_UNIT_CACHE"): "embeddings of text units (memo)",
    ("local_bedrock/guardrails/background.py", "_backgrounds"): "background corpus embeddings (memo)",
    ("local_bedrock/guardrails/classifier.py", "_models"): "classifiers trained per topic set (memo)",
    ("local_bedrock/guardrails/classifier.py", "_predictions"): "classifier outputs per unit (memo)",
    ("local_bedrock/guardrails/classifier.py", "_warming"): "background training threads of those memos",
    ("local_bedrock/knowledge_bases/models.py", "_builtin_cache"): "the shipped corpus, chunked (memo)",
    ("local_bedrock/observability/cloudwatch.py", "_patched"): "moto patched once per process",
    ("local_bedrock/quotas/anomaly.py", "_patched"): "moto patched once per process",
    ("local_bedrock/runtime/images.py", "_FONTS"): "fonts loaded once",
    ("local_bedrock/text/embeddings.py", "_IDS_CACHE"): "token ids per text (memo)",
    ("local_bedrock/text/embeddings.py", "_loaded"): "the embedding model, loaded once",
    ("local_bedrock/text/tools.py", "_embed_cache"): "tool-description embeddings (memo)",
    ("utils/agents.py", "_retrievers"): "lab 06 retrievers built once per corpus (memo)",
    ("utils/cost.py", "_PROFILES"): "application inference profiles read from the registry (memo)",
    ("utils/setup.py", "_current"): "the notebook session's Workshop",
}
_MUTATORS = {"append", "add", "update", "pop", "clear", "setdefault", "extend", "insert", "remove",
             "discard", "popitem", "move_to_end"}


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            out[name.removesuffix(".__init__")] = path
    return out


def _top_level_imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Modules of ours that ``name`` imports when it is imported (not inside functions, not
    under ``if TYPE_CHECKING:``)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                if isinstance(child, ast.ClassDef):
                    visit(child)
                continue
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names if a.name in modules)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = name.split(".")[: len(name.split(".")) - child.level + (path.name == "__init__.py")]
                    base = ".".join([*parts, base] if base else parts)
                for alias in child.names:
                    full = f"{base}.{alias.name}"
                    found.add(full if full in modules else base)
            visit(child)

    visit(ast.parse(path.read_text()))
    return {m for m in found if m in modules and m != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            connect(v)
    return out


def test_no_import_cycles():
    modules = _modules()
    graph = {name: _top_level_imports(name, path, modules) for name, path in modules.items()}
    assert sum(map(len, graph.values())) > 100  # the graph was really read
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_small_pieces_import_without_the_engine():
    """The registry and the errors load without the engine (lazy package init)."""
    code = ("import sys, local_bedrock.catalog, local_bedrock.errors, local_bedrock.guardrails; "
            "print(sorted(m for m in sys.modules if m in ('local_bedrock.engine', "
            "'local_bedrock.guardrails.policies', 'local_bedrock.text.responder')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         check=True).stdout.strip()
    assert out == "[]"


def _mutated_module_names(path: Path) -> set[str]:
    """Module-level names that some function of the module changes (item assignment, a mutating
    method, or ``global`` rebinding)."""
    tree = ast.parse(path.read_text())
    names = {t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
             for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
             if isinstance(t, ast.Name)}
    hits: set[str] = set()
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        rebound = {n for node in ast.walk(func) if isinstance(node, ast.Global) for n in node.names}
        for node in ast.walk(func):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and isinstance(node.func.value, ast.Name) and node.func.attr in _MUTATORS:
                hits.add(node.func.value.id)
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else \
                [node.target] if isinstance(node, ast.AugAssign) else []
            for t in targets:
                if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                    hits.add(t.value.id)
                elif isinstance(t, ast.Name) and t.id in rebound:
                    hits.add(t.id)
    return hits & names


def test_no_process_wide_state_outside_the_engine():
    found = {(str(path.relative_to(ROOT)), name) for path in _modules().values()
             for name in _mutated_module_names(path)}
    assert found - set(ALLOWED) == set(), "keep this state on the Engine (or say why it is a memo)"
    assert set(ALLOWED) - found == set(), "an allowed name is gone: drop it from ALLOWED"


def test_the_state_finder_sees_a_registry(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("REGISTRY = {}\nCOUNT = 0\n\ndef add(k, v):\n    REGISTRY[k] = v\n\n"
                      "def bump():\n    global COUNT\n    COUNT += 1\n")
    assert _mutated_module_names(module) == {"REGISTRY", "COUNT"}
