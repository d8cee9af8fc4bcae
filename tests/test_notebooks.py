"""Every tutorial notebook runs top to bottom on the demo data, is stored without outputs, and writes nothing
into the repository's data/ or reports/ folders."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
EXPECTED = ("01-quickstart.ipynb", "02-weighting-and-uncertainty.ipynb", "03-custom-indicators-and-figures.ipynb",
            "04-bringing-real-data.ipynb")


def _snapshot() -> dict[str, tuple[int, int]]:
    out = {}
    for folder in (ROOT / "data", ROOT / "reports"):
        if folder.is_dir():
            for p in folder.rglob("*"):
                if p.is_file():
                    st = p.stat()
                    out[str(p.relative_to(ROOT))] = (st.st_size, st.st_mtime_ns)
    return out


def _make_notebooks_module():
    spec = importlib.util.spec_from_file_location("make_notebooks", ROOT / "scripts" / "make_notebooks.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_notebooks", mod)
    spec.loader.exec_module(mod)
    return mod


def test_the_four_notebooks_exist_without_outputs():
    assert tuple(sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))) == EXPECTED
    for name in EXPECTED:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert len(code) >= 8, name
        assert all(not c.outputs and c.execution_count is None for c in code), f"{name} is stored with outputs"


def test_notebooks_match_their_generator(tmp_path):
    written = _make_notebooks_module().main(tmp_path)
    assert [p.name for p in written] == list(EXPECTED)
    for p in written:
        assert p.read_bytes() == (NOTEBOOKS / p.name).read_bytes(), f"run scripts/make_notebooks.py ({p.name})"


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs_top_to_bottom(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    before = _snapshot()
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    try:
        client.execute()
    except CellExecutionError as err:  # pragma: no cover - the failure message is the point
        pytest.fail(f"{name}: a cell failed\n{str(err)[-4000:]}")
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    # every code cell ran, and the notebooks show figures
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    images = sum("image/png" in o.get("data", {}) for c in code for o in c.outputs)
    assert images >= (0 if name.startswith("04") else 1), name
    assert _snapshot() == before, f"{name} wrote into data/ or reports/"
