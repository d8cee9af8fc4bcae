"""What harmonisation returns and reads: the :class:`Harmonised` data, the recognised :class:`Shape`, an
:class:`ExportMapping`, shared constants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

__all__ = ["Harmonised", "Shape", "ExportMapping", "META_COLUMNS", "ID_COLUMN", "REQUIRED_COLUMNS", "WEIGHT_COLUMN_NAMES",
           "is_blank", "as_text", "UNMAPPED_SUMMARY_COLUMNS", "DATAFRAME_PATH"]

#: Survey-platform meta columns carried through (when present); every other platform column is dropped.
META_COLUMNS: tuple[str, ...] = ("_id", "_uuid", "start", "end", "_submission_time", "language", "device_id")
#: The respondent identifier column of the analysis data.
ID_COLUMN = "respondent_id"
#: Questions without which a file cannot be analysed.
REQUIRED_COLUMNS: tuple[str, ...] = ("consent", "municipality", "birth_year", "citizenship", "sex")
#: Column names (case-insensitive) recognised as a weight supplied with the export; they must be numeric.
WEIGHT_COLUMN_NAMES: frozenset[str] = frozenset({"weight", "weights", "wt", "w", "design_weight", "base_weight",
                                                 "_weight", "svy_weight", "final_weight"})
#: ``RawFile.path`` of responses given as a table in memory (no file).
DATAFRAME_PATH = Path("<DataFrame>")
#: Columns of :attr:`Harmonised.unmapped_summary`.
UNMAPPED_SUMMARY_COLUMNS: tuple[str, ...] = ("variable", "type", "n_answers", "n_unmapped", "n_recoded", "share",
                                             "examples")


def is_blank(v) -> bool:
    """True for None, NaN, NaT, pandas NA and strings of whitespace only."""
    return v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip()) \
        or v is pd.NA or v is pd.NaT


def as_text(v) -> str:
    """A cell as text; whole floats without the ``.0`` (``1985.0`` -> ``"1985"``)."""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


@dataclass(frozen=True)
class Shape:
    """The export layout harmonisation recognised.

    Attributes
    ----------
    platform : str
        ``KoboToolbox``, ``LimeSurvey``, ``SPSS``, ``Stata`` or ``table`` (nothing platform-specific).
    file : str
        ``xlsx``, ``csv (;)``, ``sav``, ``dta``, ``DataFrame``...
    headers : str
        How columns are named: ``XML names``, ``labels (ru)``, ``question codes``, ``full question text
        (en)``, ``mapping file``...
    values : str
        How select_one answers are written: ``XML values``, ``labels (ru)``, ``labels (lt, en)``,
        ``answer codes``, ``position codes``...
    groups : str
        ``no group names`` or ``group names with '/'`` (``'.'``, ``'_'``).
    select_multiple : str
        ``single column``, ``0/1 columns``, ``both``, ``Y/blank sub-question columns``, ``q_choice 0/1
        columns`` or ``none`` (no select_multiple question in the file).
    extras : tuple of str
        Anything else worth saying (mapping file, repeat sheets, SPSS user-missing codes).
    """

    platform: str
    file: str
    headers: str
    values: str
    groups: str
    select_multiple: str
    extras: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line, e.g. ``KoboToolbox xlsx, labels (ru), group names with '/', select_multiple both``."""
        if (self.headers, self.values) == ("XML names", "XML values"):
            content = "XML values and headers"  # KoboToolbox's own name for the layout
        elif self.headers == self.values:
            content = self.values
        else:
            content = f"headers {self.headers}, values {self.values}"
        parts = [f"{self.platform} {self.file}", content, self.groups]
        if self.select_multiple != "none":
            parts.append(f"select_multiple {self.select_multiple}")
        return ", ".join([*parts, *self.extras])


def _empty_unmapped() -> pd.DataFrame:
    return pd.DataFrame({ID_COLUMN: pd.Series(dtype=object), "variable": pd.Series(dtype=object),
                         "value": pd.Series(dtype=object)})


def _empty_summary() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c.startswith("n_") else float if c == "share" else object)
                         for c in UNMAPPED_SUMMARY_COLUMNS})


@dataclass(frozen=True)
class Harmonised:
    """Result of :func:`needs_analysis.harmonise.harmonise`.

    Attributes
    ----------
    data : DataFrame
        One row per submission: ``respondent_id``, the meta columns of
        :data:`META_COLUMNS` present, every codebook question in codes
        (unmapped values kept as given), the 0/1 columns of each
        select_multiple question, and the per-respondent aggregates of each
        repeat group (see :mod:`needs_analysis.harmonise`).
    unmapped : DataFrame
        ``respondent_id, variable, value``: answers that match no code.
    unknown_columns : tuple of str
        Columns of the file that are not in the codebook (platform meta and
        supplied weight columns excluded).
    numeric_coded : tuple of str
        select_one questions whose answers came as numeric position codes.
    unmapped_summary : DataFrame
        One row per column with unmapped answers: ``variable, type,
        n_answers`` (non-blank answers), ``n_unmapped``, ``n_recoded``
        (typed country names the cleaning recodes), ``share`` (unmapped,
        not recoded, over answers) and ``examples`` (up to three values,
        most frequent first).
    shape : Shape or None
        The export layout recognised.
    report : tuple of str
        The load report: what was recognised, used, ignored or dropped.
    repeats : mapping of str to DataFrame
        Repeat groups' rows (one per repeat), ``respondent_id``-linked, answers in codes.
    """

    data: pd.DataFrame
    unmapped: pd.DataFrame = field(default_factory=_empty_unmapped)
    unknown_columns: tuple[str, ...] = ()
    numeric_coded: tuple[str, ...] = ()
    unmapped_summary: pd.DataFrame = field(default_factory=_empty_summary)
    shape: Shape | None = None
    report: tuple[str, ...] = ()
    repeats: Mapping[str, pd.DataFrame] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def unmapped_counts(self) -> pd.DataFrame:
        """Unmapped answers counted: ``variable, value, n`` (most frequent first)."""
        if self.unmapped.empty:
            return pd.DataFrame({"variable": pd.Series(dtype=object), "value": pd.Series(dtype=object),
                                 "n": pd.Series(dtype="int64")})
        out = self.unmapped.groupby(["variable", "value"], sort=True).size().rename("n").reset_index()
        return out.sort_values(["n", "variable", "value"], ascending=[False, True, True], kind="stable") \
            .reset_index(drop=True)


@dataclass(frozen=True)
class ExportMapping:
    """Export codes -> questionnaire names.

    Attributes
    ----------
    source : str
        The mapping file's name.
    columns : mapping of str to str
        Export column header -> questionnaire column (question name,
        ``question/choice``, ``question_other``, a platform column such as
        ``id``), or ``""`` for a column to ignore.
    answers : mapping of str to mapping of str to str
        Export column header -> {export answer code -> choice name}.
    unmatched : tuple of str
        Questions of a structure file that match no question of the questionnaire.
    """

    source: str
    columns: Mapping[str, str] = field(default_factory=dict)
    answers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    unmatched: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for the load report."""
        n_ans = sum(len(v) for v in self.answers.values())
        tail = f"; not in the questionnaire: {', '.join(self.unmatched)}" if self.unmatched else ""
        return f"mapping file {self.source}: {len(self.columns)} columns, {n_ans} answer codes{tail}"

    def answers_for(self, header: str, column: str) -> dict[str, str]:
        """Answer codes of an export column (by its export header, else by the questionnaire column)."""
        out = dict(self.answers.get(column, {}))
        out.update(self.answers.get(header, {}))
        return out
