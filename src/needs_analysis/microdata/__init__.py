"""Microdata for analysts and a public-use file: ``needs-analysis export``.

* :func:`export` writes the clean weighted respondents of a municipality (or
  of all six, pooled) as SPSS ``.sav``, Stata ``.dta``, CSV and parquet files
  with labels in Lithuanian or English, a data dictionary (xlsx and HTML) and
  the code that declares the survey design in R, SPSS and Stata;
* with ``public=True`` the files are a public-use file: identifiers, free text
  and finer versions of the key variables removed, the key variables of
  :class:`~needs_analysis.config.PublicFileRules` made k-anonymous by global
  recoding and local suppression (:func:`public_file`), with a disclosure
  report (risk before and after as sdcMicro's ``measure_risk`` defines it,
  :func:`risk_measures`; the change of every headline estimate,
  :func:`information_loss`).

See docs/microdata.md.
"""

from ._frame import Microdata, Variable, describe, numeric_frame, stata_frame
from ._names import SAFE_LENGTH, is_valid_spss_name, is_valid_stata_name, safe_names
from ._relevance import relevance_text

__all__ = [
    "Microdata",
    "Variable",
    "describe",
    "numeric_frame",
    "stata_frame",
    "safe_names",
    "is_valid_spss_name",
    "is_valid_stata_name",
    "SAFE_LENGTH",
    "relevance_text",
]
