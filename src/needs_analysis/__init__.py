"""needs_analysis: needs-assessment surveys of third-country nationals in Lithuanian municipalities.

The public API is what ``__all__`` lists; everything else may change.

Working interactively (Jupyter)::

    import needs_analysis as na
    s = na.load("vilnius").clean().weight().estimate()   # a Survey; each step a new object
    s.estimates                                          # tidy estimates table
    s.design().proportion("lt_level", by="citgrp")       # design-based estimates
    s.figures(lang="en")["03_needs_overview"]            # report figures (matplotlib)

The whole pipeline, as on the command line (``needs-analysis run``)::

    runs = na.run("kaunas", na.RunSettings(out_dir="reports"))

Microdata for SPSS, Stata and R users, or a public-use file, from the processed
respondents of a run (``needs-analysis export``)::

    na.export("kaunas", "sav,dta", lang="en")            # exports/kaunas/
    na.export("all", "sav,csv", public=True)              # exports/all_public/

``na.clean`` is the cleaning module (its checks, the cleaning log and
``apply_log``), ``na.weight`` the weighting stage on a data frame;
``Survey.clean()`` and ``Survey.weight()`` run them as steps.

Importing the package is cheap and reads no file: the heavier parts
(pandas, the statistics, matplotlib) are imported the first time one of
their names is used (PEP 562).

Examples
--------
>>> import needs_analysis as na
>>> len(na.MUNICIPALITY_IDS), na.MUNICIPALITY_IDS[:3]
(60, ('akmene', 'alytus', 'alytus_r'))
>>> na.RunSettings(lang="en").ci_level
0.95
>>> try:
...     na.load("riga")
... except na.NeedsAnalysisError as err:
...     print(err.exit_code)
2
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING

# openpyxl serialises workbooks with lxml when lxml is installed (a dependency of python-docx, report.docx) and with
# the standard library otherwise; the bytes differ (namespace declarations, "\r" in text). The package's workbooks,
# its demo data and the committed questionnaire are written by the standard-library path; this default, read by
# openpyxl when it is first imported (the package imports it only on use), keeps them byte-identical whether or
# not lxml is installed. An explicit OPENPYXL_LXML setting of the user's wins.
os.environ.setdefault("OPENPYXL_LXML", "False")

from ._version import __version__
from .errors import NeedsAnalysisError
from .municipalities import Municipality

__all__ = [
    "__version__",
    # the interactive analysis
    "load",
    "Survey",
    "SurveyDesign",
    "weight",
    "run",
    "export",
    "RunSettings",
    "load_codebook",
    # modules
    "clean",
    "indicators",
    "figures",
    "tables",
    # reference data and errors
    "MUNICIPALITIES",
    "MUNICIPALITY_IDS",
    "Municipality",
    "NeedsAnalysisError",
]

#: Public names imported on first use: name -> (module, attribute or None for the module itself).
_LAZY: dict[str, tuple[str, str | None]] = {
    "load": (".survey", "load"),
    "Survey": (".survey", "Survey"),
    "SurveyDesign": (".design", "SurveyDesign"),
    "weight": (".weighting", "weight"),
    "run": (".pipeline", "run"),
    "export": (".microdata", "export"),
    "RunSettings": (".config", "RunSettings"),
    "load_codebook": (".codebook", "load_codebook"),
    "clean": (".clean", None),
    "indicators": (".indicators", None),
    "figures": (".figures", None),
    "tables": (".tables", None),
    "MUNICIPALITIES": (".municipalities", "MUNICIPALITIES"),
    "MUNICIPALITY_IDS": (".municipalities", "MUNICIPALITY_IDS"),
}
#: Sub-modules reachable as attributes (``na.pipeline``...) without being part of the stable API.
_SUBMODULES = frozenset({
    "codebook", "config", "design", "disclosure", "harmonise", "io", "pipeline", "presentation", "report", "survey",
    "synthetic", "validate", "weighting", "cli", "countries", "microdata",
})


def __getattr__(name: str):
    """Import public names and sub-modules on first use (PEP 562)."""
    if name in _LAZY:
        module_name, attr = _LAZY[name]
        module = importlib.import_module(module_name, __name__)
        value = module if attr is None else getattr(module, attr)
        if attr is not None or name not in globals():
            globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from . import clean, figures, indicators, tables
    from .codebook import load_codebook
    from .config import RunSettings
    from .design import SurveyDesign
    from .microdata import export
    from .pipeline import run
    from .survey import Survey, load
    from .weighting import weight
    from .municipalities import MUNICIPALITIES, MUNICIPALITY_IDS
