"""Report tables: estimates → formatted DataFrames → Excel workbook and CSV files.

* :mod:`._format`: Excel number formats, count columns, the flag texts and the
  flags legend (the thresholds of a :class:`~needs_analysis.disclosure.DisclosureRules`);
* :mod:`._pack_tables`: tables 4 (services), 5 (comparison) and 5b (change since the previous wave);
* :mod:`._build`: tables 1-6 and the Notes sheet;
* :mod:`._write`: the Excel and CSV writers.
"""

from __future__ import annotations

from ._build import TABLE_KEYS, build_notes, build_tables
from ._format import disclosure_rules, flag_text
from ._pack_tables import CHANGE_TABLE, table_change, table_comparison, table_services
from ._write import CSV_FLOAT_FORMAT, NOTES_SHEET, write_csv, write_excel

__all__ = ["build_tables", "build_notes", "write_excel", "write_csv", "flag_text", "disclosure_rules",
           "table_services", "table_comparison", "table_change", "CHANGE_TABLE", "TABLE_KEYS", "NOTES_SHEET", "CSV_FLOAT_FORMAT"]
