"""The shape of the package: no import cycles, imports point down the layers, modules stay small.

Read with the standard library's ``ast``, not by importing. Every ``import`` and ``from ... import``
of a ``trace`` module counts, at module level and inside functions alike: an import inside a
function is still a dependency, it only runs later. Imports under ``if TYPE_CHECKING:`` do not
count (they never run). The few function-level imports that point upward are listed in
``UPWARD_ALLOWED`` with the reason; nothing else may.

Layers, lowest first (docs/architecture.md, Layers). A module may import modules of its own layer
or of a lower one:

    pure      trace.ledger, trace.codes       (no Flask, no database, nothing else of trace)
    core      trace.config, trace.errors, trace.cache, trace.db, trace.extensions, trace.limits, trace.times
    models    trace.models
    fields    trace.schemas.common, trace.schemas.stage_extra   (field types the stages declare with)
    stages    trace.stages
    schemas   trace.schemas                   (request and response schemas)
    interop   trace.interop
    services  trace.services
    views     trace.api, trace.lookup, trace.console
    app       trace.app, trace.cli, trace.demo, trace (the package)
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "trace"
MAX_LINES = 400

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("pure", ("trace.ledger", "trace.codes")),
    ("core", ("trace.config", "trace.errors", "trace.cache", "trace.db", "trace.extensions", "trace.limits",
              "trace.times")),
    ("models", ("trace.models",)),
    ("fields", ("trace.schemas.common", "trace.schemas.stage_extra")),
    ("stages", ("trace.stages",)),
    ("schemas", ("trace.schemas",)),
    ("interop", ("trace.interop",)),
    ("services", ("trace.services",)),
    ("views", ("trace.api", "trace.lookup", "trace.console")),
    ("app", ("trace.app", "trace.cli", "trace.demo", "trace")),
]

# (importer, imported): upward imports inside a function, each with the reason it is allowed.
UPWARD_ALLOWED: set[tuple[str, str]] = set()

PURE_FORBIDDEN = ("flask", "flask_babel", "flask_sqlalchemy", "flask_limiter", "flask_migrate", "sqlalchemy")


def module_name(path: Path, root: Path) -> str:
    """Return the dotted name of a source file under root's parent (``trace/a/__init__.py`` → ``trace.a``)."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                for sub in ast.walk(inner):
                    if hasattr(sub, "lineno"):
                        lines.add(sub.lineno)
    return lines


def imports_of(path: Path, name: str, known: set[str]) -> dict[str, set[str]]:
    """Return the modules of ``known`` a file imports (by kind: ``runtime``, ``external``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: dict[str, set[str]] = {"runtime": set(), "external": set()}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom) or node.lineno in skip:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source
                       for alias in node.names]
        for target in targets:
            if target in known:
                found["runtime"].add(target)
            elif not target.startswith("trace"):
                found["external"].add(target.split(".")[0])
            else:  # a name inside a module: the longest known prefix
                while target and target not in known:
                    target = target.rpartition(".")[0]
                if target:
                    found["runtime"].add(target)
    found["runtime"].discard(name)
    return found


def package_graph(root: Path = PACKAGE) -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, Path]]:
    """Return (module → trace modules it imports, module → third-party packages, module → file)."""
    files = {module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    known = set(files)
    graph, external = {}, {}
    for name, path in files.items():
        found = imports_of(path, name, known)
        graph[name], external[name] = found["runtime"], found["external"]
    return graph, external, files


def find_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Return the strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def layer_of(module: str) -> int:
    """Return the index in LAYERS of the most specific prefix that names module."""
    best, best_length = -1, -1
    for number, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_length:
                best, best_length = number, len(prefix)
    if best < 0:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/test_layout.py")
    return best


def upward_imports(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Return ``importer (layer) -> imported (layer)`` for every import of a higher layer."""
    found = []
    for importer, targets in sorted(graph.items()):
        for target in sorted(targets):
            if layer_of(target) > layer_of(importer) and (importer, target) not in UPWARD_ALLOWED:
                low, high = LAYERS[layer_of(importer)][0], LAYERS[layer_of(target)][0]
                found.append(f"{importer} ({low}) -> {target} ({high})")
    return found


# The detector itself, on graphs made up here.

def test_the_detector_finds_a_cycle_and_only_cycles():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": set(), "d": {"a", "c"}}) == []
    assert sorted(find_cycles({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}})) == [["a", "b"], ["c", "d"]]


def test_the_detector_reads_function_level_and_relative_imports(tmp_path):
    package = tmp_path / "trace"
    (package / "services").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "services" / "__init__.py").write_text("")
    (package / "ledger.py").write_text("def f():\n    from trace.services import keys\n")
    (package / "services" / "keys.py").write_text("from typing import TYPE_CHECKING\nfrom .log import x\n"
                                                  "if TYPE_CHECKING:\n    from trace import ledger\n")
    (package / "services" / "log.py").write_text("import flask\nfrom trace.services.keys import y\n")
    graph, external, _ = package_graph(package)
    assert graph["trace.ledger"] == {"trace.services.keys"}
    assert graph["trace.services.keys"] == {"trace.services.log"}  # TYPE_CHECKING does not count
    assert external["trace.services.log"] == {"flask"}
    assert find_cycles(graph) == [["trace.services.keys", "trace.services.log"]]
    assert upward_imports(graph) == ["trace.ledger (pure) -> trace.services.keys (services)"]


# The package.

@pytest.fixture(scope="module")
def graph():
    return package_graph()


def test_no_import_cycles(graph):
    assert find_cycles(graph[0]) == []


def test_imports_point_down_the_layers(graph):
    assert upward_imports(graph[0]) == []


def test_every_allowed_upward_import_still_exists(graph):
    assert [pair for pair in sorted(UPWARD_ALLOWED) if pair[1] not in graph[0].get(pair[0], ())] == []


def test_ledger_and_codes_stay_pure(graph):
    modules, external, _ = graph
    impure = {name: sorted(external[name] & set(PURE_FORBIDDEN)) or sorted(
                  t for t in modules[name] if not t.startswith(name.split(".")[0] + "." + name.split(".")[1]))
              for name in modules if layer_of(name) == 0}
    assert {name: found for name, found in impure.items() if found} == {}


def test_services_live_in_domain_packages(graph):
    flat = [name for name in graph[0] if name.count(".") == 2 and name.startswith("trace.services.")
            and not graph[2][name].name == "__init__.py"]
    assert flat == []


def test_modules_stay_under_the_line_budget(graph):
    lines = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in graph[2].items()}
    assert {name: n for name, n in lines.items() if n > MAX_LINES} == {}


# The tests' own shape.

TESTS = ROOT / "tests"


def test_no_test_module_imports_another_or_a_conftest():
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                last = name.rpartition(".")[2]
                if last.startswith("test_") or last == "conftest":
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert found == []


def test_service_tests_mirror_the_service_domains():
    flat = sorted(p.name for p in (TESTS / "services").glob("test_*.py"))
    orphans = sorted(d.name for d in (TESTS / "services").iterdir()
                     if d.is_dir() and d.name != "__pycache__" and not (PACKAGE / "services" / d.name).is_dir())
    assert (flat, orphans) == ([], [])
