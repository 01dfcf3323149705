"""The layout contract (docs/architecture.md, "分层与领域"): read from the source, every import counted —
module level, inside functions and under TYPE_CHECKING.

- no import cycle among the modules of ``assess`` or of ``tui``;
- areas of the core import only areas below them, in the order of ``AREAS``; ``assess`` never imports
  ``tui`` or ``textual``; ``tui`` imports the core, never the reverse;
- no module imports another module's private (``_underscore``) name;
- an import inside a function defers a heavy library (``DEFERRED``, each with its reason) or a module
  that loads one when imported; the command line (``assess/cli``) imports an area only when one of its
  commands runs, so its function-level imports of the core are allowed too.
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The core's areas, lowest first: an area may import only the areas before it (and itself).
AREAS = [
    "models",  # the tables (SQLModel) — the data model everything reads and writes
    "foundation",  # database, settings, errors, audit chain, roles and accounts, vocabulary
    "org",  # units, cadres, adjustments, 黑名单
    "schemes",  # scheme format, validation, sources, versions
    "scoring",  # the formulas, pure
    "rounds",  # a round's life, snapshots, self-check, spot-check, verified scores, findings
    "appraisal",  # sessions, ballots, reconciliation, tallies, secrecy
    "results",  # compute, accountability, review chain, publication, published-round reader
    "workflow",  # stage blockers and advancing, the dashboard overview
    "reports",  # documents, charts, workbooks
    "integrity",  # whole-database verification, anchors, backup, server checks
    "demo",  # the demonstration office
    "cli",  # the command line
    "__main__",
]

# Libraries a function may import at call time, and why.
DEFERRED = {
    "pandas": "frames only where a computation builds them (the ranking list and the CLI stay light)",
    "numpy": "the scoring formulas and resamples",
    "plotly": "charts, only when a chart is drawn",
    "kaleido": "image export through headless Chromium",
    "choreographer": "the browser behind image export",
    "openpyxl": "XLSX reading and writing",
    "docx": "DOCX documents",
    "reportlab": "PDF documents",
    "lxml": "DOCX internals",
    "defusedxml": "safe XML parsing for imported XLSX",
    "alembic": "migrations, loaded only when the revision check says one is due",
    "argon2": "password hashing, only when a password is set or checked",
    "sqlmodel": "the table classes cost a third of a second to build; commands load them when they "
    "touch a table",
    "sqlalchemy": "as sqlmodel",
    "pypinyin": "pinyin search in the command palette",
    "platformdirs": "the per-user data folder, only when the TUI needs it",
    "textual": "the interface, never loaded by a command",
    "tomllib": "compiles its parser's patterns on import (15–20 ms); only a configuration file that "
    "exists is parsed",
}


def _modules(package: str) -> dict[str, Path]:
    out = {}
    for p in (ROOT / package).rglob("*.py"):
        rel = p.relative_to(ROOT)
        if "migrations" in rel.parts:
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


MODULES = {**_modules("assess"), **_modules("tui")}


@cache
def _tree(mod: str) -> ast.Module:
    return ast.parse(MODULES[mod].read_text(encoding="utf-8"))


def _absolute(mod: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = mod.split(".")
    if MODULES[mod].name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _target(name: str) -> str:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def imports(mod: str) -> list[tuple[ast.AST, str, str | None]]:
    """(node, imported module, imported name or None) for every import statement of ``mod``."""
    out: list[tuple[ast.AST, str, str | None]] = []
    for node in ast.walk(_tree(mod)):
        if isinstance(node, ast.ImportFrom):
            base = _absolute(mod, node)
            for a in node.names:
                full = f"{base}.{a.name}"
                out.append((node, full if full in MODULES else base, None if full in MODULES else a.name))
        elif isinstance(node, ast.Import):
            out.extend((node, a.name, None) for a in node.names)
    return out


def _type_only(mod: str) -> set[int]:
    return {
        id(n)
        for block in ast.walk(_tree(mod))
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for n in ast.walk(block)
    }


def edges(mod: str, with_types: bool = True) -> set[str]:
    """The modules ``mod`` imports; ``with_types=False`` leaves out TYPE_CHECKING imports (annotations
    only, never executed, so they cannot make a cycle at run time)."""
    skip = set() if with_types else _type_only(mod)
    found = set()
    for node, target, _name in imports(mod):
        if id(node) in skip:
            continue
        t = _target(target)
        if t and t != mod and t.split(".")[0] in ("assess", "tui"):
            found.add(t)
    return found


def _cycles(mods: list[str]) -> list[list[str]]:
    graph = {m: edges(m, with_types=False) for m in mods}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(max(10000, sys.getrecursionlimit()))

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for m in mods:
        if m not in index:
            visit(m)
    return found


def _area(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_import_cycles_counting_every_import():
    for package in ("assess", "tui"):
        mods = [m for m in MODULES if m.split(".")[0] == package]
        assert _cycles(mods) == [], f"{package} 中的导入环"


def test_areas_import_only_downward():
    problems = []
    for mod in MODULES:
        if not mod.startswith("assess."):
            continue
        here = _area(mod)
        assert here in AREAS, f"{mod}: 领域“{here}”不在 AREAS 中（新领域请写进 docs/architecture.md 与本测试）"
        for target in edges(mod):
            if target.startswith("tui"):
                problems.append(f"{mod} → {target}（核心不导入界面）")
                continue
            if target == VOCABULARY:
                continue  # the codes the tables store: importable from every layer, imports nothing
            there = _area(target)
            if there and AREAS.index(there) > AREAS.index(here):
                problems.append(f"{mod} → {target}（{here} 在 {there} 之下）")
        for _node, target, _name in imports(mod):
            if target.split(".")[0] == "textual":
                problems.append(f"{mod} 导入 textual")
    assert problems == []


VOCABULARY = "assess.foundation.vocabulary"


def test_the_vocabulary_imports_nothing_of_assess():
    assert [t for t in edges(VOCABULARY) if t.startswith("assess")] == []


def test_no_private_name_is_imported_across_modules():
    problems = []
    for mod in MODULES:
        for node, target, name in imports(mod):
            if name and name.startswith("_") and not name.startswith("__") and _target(target) != mod:
                if _target(target):
                    problems.append(f"{mod}:{node.lineno} 导入 {target}.{name}")
    assert problems == []


def _top_level(mod: str) -> set[str]:
    """Modules ``mod`` loads when it is imported (not TYPE_CHECKING, not inside functions)."""
    tree = _tree(mod)
    type_only = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for n in ast.walk(block)
    }
    inside = {
        id(n)
        for f in ast.walk(tree)
        if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
        for n in ast.walk(f)
    }
    return {t for node, t, _ in imports(mod) if id(node) not in type_only and id(node) not in inside}


@cache
def loads_heavy(target: str) -> str | None:
    """The heavy library ``target`` brings in when imported, directly or through its imports."""
    top = target.split(".")[0]
    if top in DEFERRED or target.startswith("assess.models"):
        return top
    mod = _target(target)
    if not mod or mod.split(".")[0] not in ("assess", "tui"):
        return None
    if target == "tui.app":
        return "textual"
    for t in sorted(_top_level(mod)):
        if _target(t) == mod:
            continue
        heavy = loads_heavy(t)
        if heavy:
            return heavy
    return None


def test_function_level_imports_defer_a_heavy_library():
    problems = []
    for mod in MODULES:
        if mod.startswith("assess.cli") or mod == "tui.launcher":
            continue  # the command line loads an area only when one of its commands runs
        tree = _tree(mod)
        type_only = {
            id(n)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
            for n in ast.walk(block)
        }
        for f in ast.walk(tree):
            if not isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(f):
                if not isinstance(node, ast.Import | ast.ImportFrom) or id(node) in type_only:
                    continue
                for n2, target, _name in imports(mod):
                    if n2 is node and not loads_heavy(target):
                        problems.append(f"{mod}:{node.lineno} {target}")
    assert sorted(set(problems)) == []


def test_the_deferred_libraries_are_not_loaded_by_a_command_start():
    """The command entry loads neither the interface nor the heavy libraries before a command
    runs (checked in a fresh interpreter)."""
    import subprocess

    code = (
        "import sys, tui.launcher, assess.cli\n"
        "bad = sorted(k for k in ('textual', 'pandas', 'plotly', 'openpyxl', 'alembic') if k in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == ""
