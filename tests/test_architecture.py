"""The package's structure: the import-linter contracts hold, no private name crosses a package, one CSV writer.

The contracts are in ``pyproject.toml`` (``[tool.importlinter]``); ARCHITECTURE.md
("Layers and contracts") explains them.
"""

from __future__ import annotations

import ast
import contextlib
import io
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "needs_analysis"
PYPROJECT = ROOT / "pyproject.toml"

def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    return ".".join(parts[:-1] if is_package else parts), is_package


def imported_names(source: str, module: str, is_package: bool) -> list[tuple[str, int]]:
    """Every dotted name an import statement of ``source`` refers to (``a.b.c`` for ``from a.b import c``)."""
    package = module if is_package else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.extend((f"{target}.{alias.name}", node.lineno) for alias in node.names)
        elif isinstance(node, ast.Import):
            out.extend((alias.name, node.lineno) for alias in node.names)
    return out


def private_crossings(source: str, module: str, is_package: bool) -> list[tuple[str, int]]:
    """The names of ``source``'s imports that are private to a package ``module`` is not inside.

    A name is private to the package holding its first underscored part (``needs_analysis.figures._text.ui``
    is private to ``needs_analysis.figures``; ``needs_analysis._safe_cells`` to ``needs_analysis``, so every
    module may use the package root's private helpers); a module may import the private names of its own
    package and of the packages around it, never those of a sibling package.
    """
    out = []
    for name, line in imported_names(source, module, is_package):
        if not name.startswith("needs_analysis."):
            continue
        parts = name.split(".")
        for i, part in enumerate(parts):
            if part.startswith("_") and not (part.startswith("__") and part.endswith("__")):
                owner = ".".join(parts[:i])
                if module != owner and not module.startswith(owner + "."):
                    out.append((name, line))
                break
    return out


def _sources():
    for path in sorted(SRC.rglob("*.py")):
        module, is_package = _module_name(path)
        yield path, module, is_package, path.read_text(encoding="utf-8")


def test_import_contracts_hold():
    importlinter_cli = pytest.importorskip("importlinter.cli", reason="import-linter is in the test extra")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.chdir(ROOT):
        code = importlinter_cli.lint_imports(config_filename=str(PYPROJECT), no_cache=True)
    report = out.getvalue()
    assert code == 0, "import-linter: a contract is broken\n" + report[report.find("Contracts"):]
    assert "0 broken" in report


def test_the_contracts_place_every_top_level_module_in_a_layer():
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    (layers,) = [c for c in config["contracts"] if c["type"] == "layers"]
    placed = {name.strip() for layer in layers["layers"] for name in layer.replace(":", "|").split("|")}
    present = {p.stem for p in SRC.glob("*.py") if p.stem != "__init__"} | {
        p.parent.name for p in SRC.glob("*/__init__.py")}
    assert placed == present, "a new module needs its layer in pyproject.toml [tool.importlinter]"
    assert layers["layers"][:2] == ["__main__", "cli"] and layers["layers"][-1] == "errors"  # python -m, the CLI
    # the synthetic generator sits beside the notebook facade, above the runtime: only the CLI may import it
    assert "synthetic | survey" in layers["layers"]


def test_no_module_imports_a_private_name_of_another_package():
    for path, module, is_package, source in _sources():
        for name, line in private_crossings(source, module, is_package):
            pytest.fail(f"{path.relative_to(ROOT)}:{line} imports {name}, private to another package; "
                        "export it from that package (or move it to the package that uses it)")


@pytest.mark.parametrize("module, source, expected", [
    ("needs_analysis.tables._build", "from ..figures._text import ui", ["needs_analysis.figures._text.ui"]),
    ("needs_analysis.synthetic._facts", "from ..clean._derive import AGE_GROUPS",
     ["needs_analysis.clean._derive.AGE_GROUPS"]),
    ("needs_analysis.report._pack", "from ..figures import _bars", ["needs_analysis.figures._bars"]),
    ("needs_analysis.pipeline", "import needs_analysis.indicators._compute", ["needs_analysis.indicators._compute"]),
    ("needs_analysis.tables._build", "from ._format import flag_texts", []),
    ("needs_analysis.tables._build", "from .._safe_cells import write_csv", []),
    ("needs_analysis.clean._log", "from .._pii import mask_identifiers", []),
    ("needs_analysis.harmonise._core", "from ..io import RawFile", []),
    ("needs_analysis.harmonise._lss", "from ._model import ExportMapping", []),
])
def test_the_private_name_rule(module, source, expected):
    assert [name for name, _ in private_crossings(source, module, False)] == expected


def test_one_csv_writer():
    # every CSV file goes through _safe_cells.write_csv (its float formats: CSV_FLOAT_FORMATS)
    calls = []
    for path, _module, _pkg, source in _sources():
        if path.name == "_safe_cells.py":
            continue
        calls += [f"{path.relative_to(ROOT)}:{node.lineno}" for node in ast.walk(ast.parse(source))
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "to_csv"]
    assert not calls, "write CSV files with needs_analysis._safe_cells.write_csv: " + ", ".join(calls)


def test_figures_read_no_file():
    # the lt/en strings and value labels are read by needs_analysis.presentation and handed to the figures
    for path in sorted((SRC / "figures").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        imports = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        assert not ({"open"} & names or {"read_text", "read_bytes", "read_csv", "files"} & attrs
                    or "resources" in imports), path.name


def test_the_pipeline_stages_end_with_the_pack_steps_and_versions_agree():
    from needs_analysis import __version__
    from needs_analysis._version import __version__ as core_version
    from needs_analysis.pipeline import STAGES
    from needs_analysis.report import PACK_STEPS

    assert STAGES[-len(PACK_STEPS):] == PACK_STEPS
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    assert __version__ == core_version == project["version"]
    assert any(dep.startswith("import-linter") for dep in project["optional-dependencies"]["test"])
