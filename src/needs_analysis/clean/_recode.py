"""The user-editable "other, specify" recode table.

``resources/recode_other.csv`` (or a table the user passes) has one row per
typed text that should become a listed answer:

``question, other_column, text, code, note``

- ``question``: the select_one / select_multiple question the text belongs to;
- ``other_column``: the text question holding the typed answer
  (e.g. ``lt_barriers_other``);
- ``text``: the text as typed; matched case-, whitespace-, apostrophe- and
  Unicode-normalisation-insensitively;
- ``code``: the choice code it stands for;
- ``note``: why (shown in the cleaning log).

Citizenship typed into ``citizenship_other`` needs no table rows: country
names in every questionnaire language are recognised by
:mod:`needs_analysis.countries`; table rows for ``citizenship`` take
precedence.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from ..codebook import Codebook, normalise_text
from ..errors import NeedsAnalysisError
from ._tables import read_text_table

__all__ = ["RECODE_COLUMNS", "read_recode_table", "default_recode_path", "recode_lookup"]

RECODE_COLUMNS: tuple[str, ...] = ("question", "other_column", "text", "code", "note")


def default_recode_path() -> Path:
    """Path of the packaged recode table."""
    return Path(str(resources.files("needs_analysis") / "resources" / "recode_other.csv"))


def read_recode_table(path: str | Path | None = None, codebook: Codebook | None = None) -> pd.DataFrame:
    """Read and check a recode table.

    Parameters
    ----------
    path : str or Path, optional
        CSV (UTF-8, with or without BOM) or xlsx; default the packaged table.
    codebook : Codebook, optional
        If given, questions, text columns and codes are checked against it.

    Returns
    -------
    DataFrame
        Columns :data:`RECODE_COLUMNS` plus ``key`` (the normalised text).

    Raises
    ------
    NeedsAnalysisError
        Unreadable file, missing columns, unknown question or code, or one
        text mapped to two different codes.
    """
    p = Path(path) if path is not None else default_recode_path()
    table = read_text_table(p, what="recode table", required=RECODE_COLUMNS[:4],
                            read_expected="a UTF-8 CSV or xlsx with columns " + ", ".join(RECODE_COLUMNS),
                            columns_expected="columns " + ", ".join(RECODE_COLUMNS))
    if "note" not in table.columns:
        table["note"] = ""
    table = table[list(RECODE_COLUMNS)].map(lambda v: str(v).strip())
    table = table[table["text"] != ""].reset_index(drop=True)
    table["key"] = table["text"].map(normalise_text)
    for i, rec in enumerate(table.to_dict("records"), start=2):
        where = f"{p}, row {i}"
        if codebook is not None:
            if rec["question"] not in codebook or not codebook.variable(rec["question"]).is_select:
                raise NeedsAnalysisError(f"{rec['question']!r} is not a select question", where=where,
                                         expected="a select_one or select_multiple question name")
            if rec["other_column"] not in codebook or codebook.variable(rec["other_column"]).type != "text":
                raise NeedsAnalysisError(f"{rec['other_column']!r} is not a text question", where=where,
                                         expected="the 'other, specify' text question, e.g. lt_barriers_other")
            if rec["code"] not in codebook.codes(rec["question"]):
                raise NeedsAnalysisError(f"{rec['code']!r} is not a choice of {rec['question']!r}", where=where,
                                         expected="one of " + ", ".join(codebook.codes(rec["question"])))
    dup = table.drop_duplicates(["other_column", "key", "code"]).duplicated(["other_column", "key"], keep=False)
    if dup.any():
        rec = table[dup].iloc[0]
        raise NeedsAnalysisError(f"the text {rec['text']!r} is recoded to more than one code", where=str(p),
                                 expected="one code per text", fix="keep one of the rows")
    return table


def recode_lookup(table: pd.DataFrame, other_column: str) -> dict[str, tuple[str, str, str]]:
    """``normalised text -> (question, code, note)`` for one text column."""
    sub = table[table["other_column"] == other_column]
    return {k: (q, c, n) for k, q, c, n in zip(sub["key"], sub["question"], sub["code"], sub["note"])}
