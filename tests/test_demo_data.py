"""The committed demo data are exactly what `needs-analysis demo-data --seed 2021` writes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from needs_analysis.cli import app

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    target = tmp_path_factory.mktemp("demo")
    res = CliRunner().invoke(app, ["demo-data", "--seed", "2021", "--data-dir", str(target)])
    assert res.exit_code == 0, res.output
    return target


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_demo_data_command_reproduces_committed_files_byte_for_byte(regenerated):
    written = _files(regenerated)
    assert {f"raw/{m}.xlsx" for m in ("vilnius", "kaunas", "klaipeda", "siauliai", "jonava", "akmene")} <= set(written)
    assert "reference/population_truth.csv" in written and "reference/population_margins.csv" in written
    differ = [rel for rel in written
              if hashlib.sha256((regenerated / rel).read_bytes()).digest()
              != hashlib.sha256((DATA / rel).read_bytes()).digest()]
    assert differ == [], "differ from the committed demo data (run 'make demo-data' and commit the result)"
