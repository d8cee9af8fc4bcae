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

from ._dictionary import value_table, variable_table, write_dictionary
from ._export import DEFAULT_FORMATS, EXPORT_FOLDER, ExportResult, export, parse_formats, read_respondents
from ._frame import Microdata, Variable, describe, numeric_frame, region_labels, stata_frame
from ._loss import LOSS_COLUMNS, headline_catalogue, information_loss, largest_change
from ._names import SAFE_LENGTH, is_valid_spss_name, is_valid_stata_name, safe_names
from ._public import BLANK, PublicFile, key_frame, public_file
from ._relevance import relevance_text
from ._report import report_content, write_disclosure_report
from ._risk import RiskMeasures, individual_risk, key_frequencies, risk_measures
from ._writers import FORMATS, dta_metadata, sav_metadata, write_design_snippets, write_dta, write_sav

__all__ = [
    "export",
    "ExportResult",
    "parse_formats",
    "read_respondents",
    "DEFAULT_FORMATS",
    "EXPORT_FOLDER",
    "FORMATS",
    "public_file",
    "PublicFile",
    "key_frame",
    "BLANK",
    "risk_measures",
    "RiskMeasures",
    "individual_risk",
    "key_frequencies",
    "information_loss",
    "largest_change",
    "headline_catalogue",
    "LOSS_COLUMNS",
    "report_content",
    "write_disclosure_report",
    "write_sav",
    "write_dta",
    "sav_metadata",
    "dta_metadata",
    "write_design_snippets",
    "write_dictionary",
    "variable_table",
    "value_table",
    "region_labels",
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
