"""R reference numbers for the design tests: ``tests/reference/results/*.csv`` and ``data/*.csv``."""

from __future__ import annotations

from pathlib import Path

import re

import pandas as pd

REF = Path(__file__).parent / "reference"
_R_TERM = re.compile(r"^(.+)\[(.+)\]$")


def r_term(level: str) -> str:
    """R's name of a level: a model term ``sex[M]`` is R's ``sexM`` (R runs the variable and category together)."""
    return _R_TERM.sub(r"\1\2", level)


def reference_lookup(name: str):
    """Read ``results/<name>`` (long format) and return ``r(case, quantity, domain="", level="") -> float``."""
    ref = pd.read_csv(REF / "results" / name, keep_default_na=False, dtype=str)
    ref["value"] = ref["value"].astype(float)
    index = {
        (c, q, d, lv): v
        for c, d, lv, q, v in ref[["case", "domain", "level", "quantity", "value"]].itertuples(index=False, name=None)
    }
    assert len(index) == len(ref), f"duplicate reference keys in {name}"

    def r(case: str, quantity: str, domain: str = "", level: str = "") -> float:
        key = (case, quantity, domain, r_term(level))
        assert key in index, key
        return float(index[key])

    r.table = ref
    return r


def reference_data(name: str) -> pd.DataFrame:
    """A data set of ``tests/reference/data``."""
    return pd.read_csv(REF / "data" / f"{name}.csv")
