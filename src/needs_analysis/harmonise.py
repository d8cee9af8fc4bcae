"""Map a raw export onto the codebook: columns, answer labels, numbers.

Answers may arrive as labels in any of the questionnaire languages, as
choice names, or with stray spaces and changed case; everything maps to the
codebook's codes. A value that maps to nothing is kept as it was and listed
in the ``unmapped`` table, so the cleaning stage can log what it does with
it; nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .codebook import Codebook
from .errors import NeedsAnalysisError

__all__ = ["Harmonised", "harmonise", "META_COLUMNS", "ID_COLUMN", "REQUIRED_COLUMNS"]

#: Survey-platform meta columns carried through (when present).
META_COLUMNS: tuple[str, ...] = ("_id", "_uuid", "start", "end", "_submission_time", "language", "device_id")
#: The respondent identifier column of the analysis data.
ID_COLUMN = "respondent_id"
#: Questions without which a file cannot be analysed.
REQUIRED_COLUMNS: tuple[str, ...] = ("consent", "municipality", "birth_year", "citizenship", "sex")


@dataclass(frozen=True)
class Harmonised:
    """Result of :func:`harmonise`.

    Attributes
    ----------
    data : DataFrame
        One row per submission: ``respondent_id``, meta columns, every
        codebook question in codes (unmapped values kept as given), and the
        0/1 columns of each select_multiple question.
    unmapped : DataFrame
        ``respondent_id, variable, value``: answers that match no code.
    unknown_columns : tuple of str
        Columns of the file that are not in the codebook.
    """

    data: pd.DataFrame
    unmapped: pd.DataFrame
    unknown_columns: tuple[str, ...]


def _strip_group(col: str, names: set[str]) -> str:
    """``group/question`` -> ``question`` when the tail is a codebook question."""
    if col in names or "/" not in col:
        return col
    parts = col.split("/")
    for k in range(1, len(parts)):
        tail = "/".join(parts[k:])
        if tail in names or tail.split("/")[0] in names:
            return tail
    return col


def _is_blank(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip())


def harmonise(raw: pd.DataFrame, codebook: Codebook, *, source: str = "raw file") -> Harmonised:
    """Recode a raw export to codebook codes.

    Parameters
    ----------
    raw : DataFrame
        The export as read by :func:`needs_analysis.io.read_raw` (not modified).
    codebook : Codebook
        The questionnaire.
    source : str
        File name used in error messages.

    Returns
    -------
    Harmonised

    Raises
    ------
    NeedsAnalysisError
        If a required question or the submission id is missing.
    """
    names = set(codebook.names)
    rename = {c: _strip_group(c, names) for c in raw.columns}
    frame = raw.rename(columns=rename)
    if frame.columns.duplicated().any():
        dup = frame.columns[frame.columns.duplicated()].tolist()
        raise NeedsAnalysisError(f"duplicated column(s) {', '.join(map(str, dup))}", where=source,
                                 fix="keep one column per question")
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise NeedsAnalysisError(f"required column(s) missing: {', '.join(missing)}", where=source,
                                 expected="the questionnaire's question names as column headers",
                                 fix="rename the columns to the codebook names")
    if "_uuid" in frame.columns:
        rid = frame["_uuid"].astype(str).str.strip()
    elif "_id" in frame.columns:
        rid = frame["_id"].astype(str).str.strip()
    else:
        raise NeedsAnalysisError("no submission id column", where=source, expected="a column _uuid or _id",
                                 fix="export the platform's submission id")
    if rid.duplicated().any():
        first = rid[rid.duplicated()].iloc[0]
        raise NeedsAnalysisError(f"submission id {first!r} occurs more than once", where=f"{source}, column _uuid",
                                 expected="a unique id per submission", fix="re-export with the platform's ids")
    out: dict[str, pd.Series | np.ndarray] = {ID_COLUMN: rid.to_numpy()}
    for meta in META_COLUMNS:
        if meta in frame.columns:
            out[meta] = frame[meta].to_numpy()
    unmapped: list[tuple[str, str, object]] = []
    known_cols = set(META_COLUMNS)
    for var in codebook.variables.itertuples(index=False):
        name, vtype = var.name, var.type
        if name not in frame.columns:
            continue
        known_cols.add(name)
        col = frame[name]
        if vtype == "select_one":
            lookup = codebook.lookup(name)
            codes = []
            for r, v in zip(rid, col):
                if _is_blank(v):
                    codes.append(np.nan)
                    continue
                text = str(int(v)) if isinstance(v, float) and float(v).is_integer() else str(v)
                code = codebook.to_code(name, text) if lookup is not None else None
                if code is None:
                    unmapped.append((r, name, v))
                    codes.append(text)
                else:
                    codes.append(code)
            out[name] = np.array(codes, dtype=object)
        elif vtype == "select_multiple":
            sub_cols = codebook.multiple_columns(name)
            known_cols.update(sub_cols)
            all_codes = codebook.codes(name)
            joined, dummies = [], {c: [] for c in all_codes}
            for i, (r, v) in enumerate(zip(rid, col)):
                if _is_blank(v):
                    # fall back to the 0/1 columns when the names column is blank
                    picked = [c for c, sc in zip(all_codes, sub_cols)
                              if sc in frame.columns and str(frame[sc].iloc[i]).strip() in ("1", "1.0", "True")]
                    asked = any(sc in frame.columns and not _is_blank(frame[sc].iloc[i]) for sc in sub_cols)
                    if not picked and not asked:
                        joined.append(np.nan)
                        for c in all_codes:
                            dummies[c].append(np.nan)
                        continue
                else:
                    picked = []
                    for tok in str(v).split():
                        code = codebook.to_code(name, tok)
                        if code is None:
                            unmapped.append((r, name, tok))
                        else:
                            picked.append(code)
                joined.append(" ".join(c for c in all_codes if c in picked))
                for c in all_codes:
                    dummies[c].append(1.0 if c in picked else 0.0)
            out[name] = np.array(joined, dtype=object)
            for c, sc in zip(all_codes, sub_cols):
                out[sc] = np.array(dummies[c], dtype=float)
        elif vtype in ("integer", "decimal"):
            num = pd.to_numeric(col, errors="coerce")
            bad = num.isna() & ~col.map(_is_blank)
            for r, v in zip(rid[bad], col[bad]):
                unmapped.append((r, name, v))
            out[name] = num.to_numpy(dtype=float)
        else:
            out[name] = np.array([np.nan if _is_blank(v) else str(v).strip() for v in col], dtype=object)
    data = pd.DataFrame(out)
    unknown = tuple(c for c in frame.columns if c not in known_cols)
    um = pd.DataFrame(unmapped, columns=[ID_COLUMN, "variable", "value"])
    um["value"] = um["value"].astype(str)
    return Harmonised(data, um, unknown)
