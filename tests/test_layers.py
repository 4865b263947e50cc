"""The layers hold: imports flow downward only, with no cycles, and run time never imports
training (DESIGN.md, "Layers")."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "attunement"
#: Modules no module of the core (everything but these shells) may import.
SHELLS = ("attunement.cli", "attunement.web", "attunement.store")
#: Never imported by what runs when a session is analysed.
TRAINING = ("attunement.training", "attunement.benchmarks")


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, *, everywhere: bool) -> set[str]:
    """The attunement modules ``path`` imports: at module level, or ``everywhere`` (inside
    functions too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = ast.walk(tree) if everywhere else iter(tree.body)
    found = set()
    me = _name(path)
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("attunement")}
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.level:
                base = me.split(".")[: -node.level + (1 if path.name == "__init__.py" else 0)]
                module = ".".join([*base, node.module])
            else:
                module = node.module
            if module.startswith("attunement"):
                found.add(module)
                found |= {f"{module}.{a.name}" for a in node.names}
    return found


def _graph(*, everywhere: bool) -> dict[str, set[str]]:
    modules = {_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {m for m in _imports(path, everywhere=everywhere) if m in modules and m != name}
        for name, path in modules.items()
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (a package importing its own modules from its
    ``__init__`` is not one), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt.startswith(node + "."):
                continue  # a package's __init__ importing its own modules
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles():
    # not even through an import inside a function, which only hides a cycle until it runs
    cycle = _cycle(_graph(everywhere=True))
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
    assert _cycle({"p": {"p.x"}, "p.x": {"p"}}) is None  # a package and its own module


def test_the_core_never_imports_the_shells():
    for name, imported in _graph(everywhere=True).items():
        if name.startswith((*SHELLS, "attunement.benchmarks")) or name == "attunement.__main__":
            continue
        bad = sorted(m for m in imported if m.startswith(SHELLS))
        assert not bad, f"{name} imports {bad}"


@pytest.mark.parametrize("layer", ["attunement.coding", "attunement.io", "attunement.report"])
def test_run_time_never_imports_training(layer):
    for name, imported in _graph(everywhere=True).items():
        if name.startswith(layer):
            bad = sorted(m for m in imported if m.startswith(TRAINING))
            assert not bad, f"{name} imports {bad}"


def test_analysing_a_session_loads_no_training_module(tmp_path):
    code = (
        "import sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "from attunement.analysis import analyze_session\n"
        "from attunement.demo import demo_manifest\n"
        "from attunement.io.sessions import read_session\n"
        "analyze_session(read_session(demo_manifest()))\n"
        "bad = sorted(m for m in sys.modules if m.startswith(("
        "'attunement.training', 'attunement.benchmarks', 'attunement.io.corpora', "
        "'attunement.cli', 'attunement.web', 'attunement.store')))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
