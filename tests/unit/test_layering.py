"""The architecture's arrows point down, checked statically over the package's source.

cli → engine → backends → (container, paths, files, errors); the engine and the backends never
import the command line; the backends never import the engine; only the Podman backend package
talks HTTP or imports podman-py; and no module imports itself back through others (function-level
imports count: a cycle that is only deferred is still a cycle). Imports under ``if
TYPE_CHECKING:`` are annotations: they count for the layering rules, not for cycles.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "rcontainer"


@dataclass(frozen=True)
class Import:
    target: str  # a dotted module name
    line: int
    typing_only: bool


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _typing_blocks(tree: ast.AST) -> set[int]:
    """Ids of the nodes inside ``if TYPE_CHECKING:`` blocks."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            for child in node.body:
                inside.update(id(n) for n in ast.walk(child))
    return inside


def imports(source: str, name: str, root: Path) -> Iterator[Import]:
    """Every module ``name``'s source imports, resolved to modules that exist under ``root``
    (``from rcontainer.x import y`` names the module ``rcontainer.x.y`` when that is one)."""
    tree = ast.parse(source)
    typing = _typing_blocks(tree)
    is_package = (root.parent / Path(*name.split("."))).is_dir()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, node.lineno, id(node) in typing)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                pkg = name.split(".") if is_package else name.split(".")[:-1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join(pkg + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if (root.parent / Path(*sub.split("."))).with_suffix(".py").exists() or (
                    root.parent / Path(*sub.split("."))
                ).is_dir():
                    yield Import(sub, node.lineno, id(node) in typing)
                else:
                    yield Import(base, node.lineno, id(node) in typing)


def graph(root: Path = PACKAGE) -> dict[str, list[Import]]:
    out: dict[str, list[Import]] = {}
    for path in sorted(root.rglob("*.py")):
        name = module_name(path, root)
        out[name] = list(imports(path.read_text(), name, root))
    return out


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def layering_violations(g: dict[str, list[Import]]) -> list[str]:
    rules = [
        ("rcontainer.engine", "rcontainer.cli", "the engine never imports the command line"),
        ("rcontainer.backends", "rcontainer.cli", "backends never import the command line"),
        ("rcontainer.backends", "rcontainer.engine", "backends never import the engine"),
    ]
    found = []
    for module, imps in g.items():
        for imp in imps:
            for source, target, why in rules:
                if _under(module, source) and _under(imp.target, target):
                    found.append(f"{module}:{imp.line} imports {imp.target}: {why}")
            only_podman = _under(imp.target, "podman") or _under(imp.target, "http.client")
            if only_podman and not _under(module, "rcontainer.backends.podman"):
                found.append(f"{module}:{imp.line} imports {imp.target}: only rcontainer.backends.podman may")
    return found


def cycles(g: dict[str, list[Import]]) -> list[list[str]]:
    """Strongly connected components of more than one module (or a module importing itself)."""
    edges = {
        m: sorted({i.target for i in imps if i.target in g and not i.typing_only}) for m, imps in g.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
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
            if len(component) > 1 or v in edges[v]:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_arrows_point_down():
    assert layering_violations(graph()) == []


def test_no_module_imports_itself_back():
    assert cycles(graph()) == []


# -- the checks above can fail ------------------------------------------------------------------
def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "rcontainer"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_layering_check_sees_a_backend_importing_the_engine(tmp_path):
    root = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "engine/__init__.py": "",
            "engine/core.py": "",
            "backends/__init__.py": "",
            "backends/bwrap.py": "def f():\n    from rcontainer.engine import core\n",
            "doctor.py": "import http.client\n",
        },
    )
    found = layering_violations(graph(root))
    assert any("rcontainer.backends.bwrap:2 imports rcontainer.engine.core" in f for f in found)
    assert any("rcontainer.doctor:1 imports http.client" in f for f in found)


def test_the_cycle_check_sees_a_deferred_cycle_but_not_an_annotation(tmp_path):
    root = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from rcontainer import b\n",
            "b.py": "def f():\n    from rcontainer import a\n",
            "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from rcontainer import d\n",
            "d.py": "from rcontainer import c\n",
        },
    )
    assert cycles(graph(root)) == [["rcontainer.a", "rcontainer.b"]]


# What a reader can hold at once: no class over 250 lines, no module over 600 (the declarative
# schema tables excepted: one entry per field, no logic to follow).
MAX_CLASS, MAX_MODULE = 250, 600
TABLES = {"rcontainer/profile/schema.py"}


def test_no_class_or_module_outgrows_what_a_reader_holds():
    too_big = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text()
        name = str(path.relative_to(PACKAGE.parent))
        if name not in TABLES and source.count("\n") > MAX_MODULE:
            too_big.append(f"{name}: {source.count(chr(10))} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > MAX_CLASS:
                too_big.append(f"{name}: class {node.name}: {node.end_lineno - node.lineno + 1} lines")
    assert not too_big, too_big
