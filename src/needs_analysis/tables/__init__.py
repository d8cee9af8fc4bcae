"""Report tables: estimates → formatted DataFrames → Excel workbook and CSV files."""

from __future__ import annotations

from ._build import TABLE_KEYS, build_notes, build_tables, disclosure_rules, flag_text
from ._pack_tables import table_comparison, table_services
from ._write import CSV_FLOAT_FORMAT, NOTES_SHEET, write_csv, write_excel

__all__ = ["build_tables", "build_notes", "write_excel", "write_csv", "flag_text", "disclosure_rules",
           "table_services", "table_comparison", "TABLE_KEYS", "NOTES_SHEET", "CSV_FLOAT_FORMAT"]
