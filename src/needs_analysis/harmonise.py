"""Map a raw export onto the codebook: columns, answer labels, numbers.

Answers may arrive as labels in any of the questionnaire languages, as
choice names, as numeric codes (1-based position in the choice list, the
SPSS/LimeSurvey convention when value labels are lost), or with stray spaces,
changed case and other Unicode forms; everything maps to the codebook's codes.
Citizenship may also be typed as a country name in any language or an ISO code
(:mod:`needs_analysis.countries`). A value that maps to nothing is kept as it
was and listed in the ``unmapped`` table, so the cleaning stage can log what it
does with it; nothing is dropped silently.

Column conventions understood: KoboToolbox group prefixes (``group/question``,
also nested), select_multiple as one column of space-separated choice names
and/or one 0/1 column per choice (``question/choice``; LimeSurvey's
``question[choice]`` with ``Y``/blank too), LimeSurvey ``question[other]``
for the "other, specify" text, and platform meta columns (``_index``,
``_status``, ``meta/instanceID``, ``__version__``...) which are carried or
ignored but never treated as questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .codebook import Codebook, normalise_text
from .countries import to_iso
from .errors import NeedsAnalysisError

__all__ = ["Harmonised", "harmonise", "META_COLUMNS", "ID_COLUMN", "REQUIRED_COLUMNS", "is_platform_meta",
           "WEIGHT_COLUMN_NAMES"]

#: Survey-platform meta columns carried through (when present).
META_COLUMNS: tuple[str, ...] = ("_id", "_uuid", "start", "end", "_submission_time", "language", "device_id")
#: The respondent identifier column of the analysis data.
ID_COLUMN = "respondent_id"
#: Questions without which a file cannot be analysed.
REQUIRED_COLUMNS: tuple[str, ...] = ("consent", "municipality", "birth_year", "citizenship", "sex")
#: Column names (case-insensitive) recognised as a weight supplied with the export; they must be numeric.
WEIGHT_COLUMN_NAMES: frozenset[str] = frozenset({"weight", "weights", "wt", "w", "design_weight", "base_weight",
                                                 "_weight", "svy_weight", "final_weight"})
_PLATFORM_META = re.compile(
    r"^(_.*|meta/.*|formhub/.*|__version__|today|username|deviceid|simserial|subscriberid|phonenumber|"
    r"audit|instanceid|submissiondate|id|seed|lastpage|startlanguage|datestamp|startdate|submitdate|ipaddr|"
    r"refurl|interviewtime|token)$",
    re.IGNORECASE,
)
#: Meta column names used by other exports (SPSS forbids a leading "_") -> the Kobo name.
_META_ALIASES: dict[str, str] = {"uuid": "_uuid", "respondent_id": "_uuid", "id": "_id",
                                 "submission_time": "_submission_time", "submissiondate": "_submission_time",
                                 "deviceid": "device_id", "starttime": "start", "endtime": "end"}
_TRUE = {"1", "1.0", "true", "y", "yes", "taip", "да", "так", "x"}
_FALSE = {"0", "0.0", "false", "n", "no", "ne", "нет", "ні"}


def is_platform_meta(column: str) -> bool:
    """True for survey-platform bookkeeping columns (Kobo, ODK, LimeSurvey), which are not questions."""
    return bool(_PLATFORM_META.match(str(column).strip()))


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
        Columns of the file that are not in the codebook (platform meta and
        supplied weight columns excluded).
    numeric_coded : tuple of str
        select_one questions whose answers came as numeric position codes.
    """

    data: pd.DataFrame
    unmapped: pd.DataFrame
    unknown_columns: tuple[str, ...]
    numeric_coded: tuple[str, ...] = ()

    @property
    def unmapped_counts(self) -> pd.DataFrame:
        """Unmapped answers counted: ``variable, value, n`` (most frequent first)."""
        if self.unmapped.empty:
            return pd.DataFrame({"variable": pd.Series(dtype=object), "value": pd.Series(dtype=object),
                                 "n": pd.Series(dtype="int64")})
        out = self.unmapped.groupby(["variable", "value"], sort=True).size().rename("n").reset_index()
        return out.sort_values(["n", "variable", "value"], ascending=[False, True, True], kind="stable") \
            .reset_index(drop=True)


def _known_columns(codebook: Codebook) -> dict[str, str]:
    """Every column name a codebook export may have -> canonical name."""
    known: dict[str, str] = {}
    for name in codebook.names:
        known[name] = name
        if codebook.variable(name).type == "select_multiple":
            for sc in codebook.multiple_columns(name):
                known[sc] = sc
    for meta in META_COLUMNS:
        known.setdefault(meta, meta)
    return known


def _canonical(col: str, known: dict[str, str], folded: dict[str, str]) -> str:
    """Map a raw column header to a codebook column name (or return it unchanged)."""
    c = str(col).strip()
    if c in known:
        return known[c]
    # LimeSurvey: q[choice] -> q/choice ; q[other] -> q_other
    m = re.match(r"^(.*)\[([^\]]+)\]$", c)
    if m:
        base, sub = m.group(1).strip(), m.group(2).strip()
        for cand in (f"{base}/{sub}", f"{base}_{sub}"):
            if cand in known:
                return known[cand]
        c = f"{base}/{sub}"
    # Kobo group prefixes: keep the longest tail that is a known column
    parts = c.split("/")
    for k in range(1, len(parts)):
        tail = "/".join(parts[k:])
        if tail in known:
            return known[tail]
    key = c.casefold()
    return folded.get(key, c)


def _is_blank(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip()) \
        or v is pd.NA or v is pd.NaT


def _as_text(v) -> str:
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _position_codes(col: pd.Series, codes: tuple[str, ...]) -> bool:
    """Whether a select_one column holds only whole numbers within 1..len(codes) (position codes)."""
    seen = False
    for v in col.to_numpy(dtype=object):
        if _is_blank(v):
            continue
        if isinstance(v, bool):
            return False
        try:
            x = float(_as_text(v).strip())
        except ValueError:
            return False
        if not (x.is_integer() and 1 <= x <= len(codes)):
            return False
        seen = True
    return seen


def _select_one(name: str, col: pd.Series, rid: pd.Series, codebook: Codebook,
                unmapped: list) -> tuple[np.ndarray, bool]:
    codes_list = codebook.codes(name)
    positional = not any(c.isdigit() for c in codes_list) and _position_codes(col, codes_list)
    out = []
    for r, v in zip(rid, col):
        if _is_blank(v):
            out.append(np.nan)
            continue
        text = _as_text(v)
        if positional:
            code = codes_list[int(float(text)) - 1]
        else:
            code = codebook.to_code(name, text)
            if code is None and name == "citizenship":
                iso = to_iso(text)
                code = iso if iso in codes_list else None
        if code is None:
            unmapped.append((r, name, v))
            out.append(text.strip())
        else:
            out.append(code)
    return np.array(out, dtype=object), positional


def _flag(v) -> float:
    """0/1 cell of a select_multiple column: 1.0, 0.0, NaN (blank) or None (unreadable)."""
    if _is_blank(v):
        return np.nan
    key = normalise_text(_as_text(v))
    if key in _TRUE:
        return 1.0
    if key in _FALSE:
        return 0.0
    return None  # type: ignore[return-value]


def _select_multiple(name: str, frame: pd.DataFrame, rid: pd.Series, codebook: Codebook,
                     unmapped: list) -> dict[str, np.ndarray]:
    sub_cols = codebook.multiple_columns(name)
    all_codes = codebook.codes(name)
    present_sub = [sc for sc in sub_cols if sc in frame.columns]
    has_names = name in frame.columns
    n = len(frame)
    names_col = frame[name].to_numpy(dtype=object) if has_names else np.full(n, None, dtype=object)
    flags = {sc: frame[sc].to_numpy(dtype=object) for sc in present_sub}
    joined = np.full(n, np.nan, dtype=object)
    dummies = {c: np.full(n, np.nan, dtype=float) for c in all_codes}
    for i in range(n):
        v = names_col[i]
        if not _is_blank(v):
            picked: list[str] = []
            text = _as_text(v)
            single = codebook.to_code(name, text)
            # Kobo: space-separated names; other tools: labels separated by ; , or |
            parts = [text] if single else (re.split(r"[;,|]", text) if re.search(r"[;,|]", text) else text.split())
            for tok in (t.strip() for t in parts):
                code = codebook.to_code(name, tok) if tok else None
                if code is None and tok:
                    unmapped.append((rid.iloc[i], name, tok))
                elif code is not None:
                    picked.append(code)
        else:
            cells = {sc: _flag(flags[sc][i]) for sc in present_sub}
            for sc, val in cells.items():
                if val is None:
                    unmapped.append((rid.iloc[i], sc, flags[sc][i]))
            asked = any(val is not None and not np.isnan(val) for val in cells.values())
            picked = [sc.split("/", 1)[1] for sc, val in cells.items() if val == 1.0]
            if not asked:
                continue
        joined[i] = " ".join(c for c in all_codes if c in picked)
        for c in all_codes:
            dummies[c][i] = 1.0 if c in picked else 0.0
    out: dict[str, np.ndarray] = {name: joined}
    for c, sc in zip(all_codes, sub_cols):
        out[sc] = dummies[c]
    return out


def harmonise(raw: pd.DataFrame, codebook: Codebook, *, source: str = "raw file",
              allow_unknown_columns: bool = False) -> Harmonised:
    """Recode a raw export to codebook codes.

    Parameters
    ----------
    raw : DataFrame
        The export as read by :func:`needs_analysis.io.read_raw` (not modified).
    codebook : Codebook
        The questionnaire.
    source : str
        File name used in error messages.
    allow_unknown_columns : bool, default False
        Accept columns that are neither codebook questions nor platform meta
        (they are listed in ``unknown_columns``). By default they mean the
        export comes from another questionnaire version, which is an error.

    Returns
    -------
    Harmonised

    Raises
    ------
    NeedsAnalysisError
        A required question or the submission id is missing, ids repeat,
        two columns map to the same question, a supplied weight column
        holds text, or (unless allowed) the file has questions the
        questionnaire does not know.

    Notes
    -----
    When the select_multiple names column is blank the 0/1 columns are used;
    when both are present the names column wins (it is what Kobo exports
    first). A select_one column holding only whole numbers 1..k is read as
    position codes in the choice list's order (reported in
    ``numeric_coded``).
    """
    known = _known_columns(codebook)
    folded = {k.casefold(): v for k, v in known.items()}
    rename = {c: _canonical(c, known, folded) for c in raw.columns}
    frame = raw.rename(columns=rename)
    present = {str(c) for c in frame.columns}
    aliases = {}
    for c in frame.columns:
        target = _META_ALIASES.get(str(c).strip().casefold())
        if target is not None and target not in present:
            aliases[c] = target
    frame = frame.rename(columns=aliases)
    if frame.columns.duplicated().any():
        dup = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        origin = [str(c) for c in raw.columns if rename[c] in dup]
        raise NeedsAnalysisError(f"columns {', '.join(origin)} all hold question {', '.join(dup)}", where=source,
                                 expected="one column per question", fix="delete the extra column(s)")
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise NeedsAnalysisError(f"required column(s) missing: {', '.join(missing)}", where=source,
                                 expected="the questionnaire's question names as column headers",
                                 fix="rename the columns to the codebook names")
    weight_cols = [c for c in frame.columns if str(c).strip().casefold() in WEIGHT_COLUMN_NAMES]
    for wc in weight_cols:
        num = pd.to_numeric(frame[wc].map(lambda v: np.nan if _is_blank(v) else _as_text(v).strip()
                                          .replace(",", ".")), errors="coerce")
        bad = num.isna() & ~frame[wc].map(_is_blank)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise NeedsAnalysisError(f"weight {frame[wc].iloc[i]!r} is not a number",
                                     where=f"{source}, column {wc}, row {i + 2}",
                                     expected="numbers only in a weight column",
                                     fix="correct the cell or remove the column (weights are computed by raking)")
    unknown = tuple(str(c) for c in frame.columns
                    if c not in known and not is_platform_meta(c) and c not in weight_cols)
    if unknown and not allow_unknown_columns:
        shown = ", ".join(unknown[:5]) + (f" (+{len(unknown) - 5} more)" if len(unknown) > 5 else "")
        raise NeedsAnalysisError(
            f"column(s) {shown} are not questions of the questionnaire (version {codebook.version})",
            where=source, expected="an export of the same questionnaire version",
            fix="use the questionnaire the data were collected with, or remove those columns")
    if "_uuid" in frame.columns:
        rid_src = "_uuid"
    elif "_id" in frame.columns:
        rid_src = "_id"
    else:
        raise NeedsAnalysisError("no submission id column", where=source, expected="a column _uuid or _id",
                                 fix="export the platform's submission id")
    rid = frame[rid_src].map(lambda v: "" if _is_blank(v) else _as_text(v).strip()).astype(object)
    if (rid == "").any():
        i = int(np.flatnonzero((rid == "").to_numpy())[0])
        raise NeedsAnalysisError("submission id is blank", where=f"{source}, column {rid_src}, row {i + 2}",
                                 expected="an id on every row", fix="re-export with the platform's ids")
    if rid.duplicated().any():
        first = rid[rid.duplicated()].iloc[0]
        raise NeedsAnalysisError(f"submission id {first!r} occurs more than once",
                                 where=f"{source}, column {rid_src}",
                                 expected="a unique id per submission", fix="re-export with the platform's ids")
    out: dict[str, np.ndarray] = {ID_COLUMN: rid.to_numpy(dtype=object)}
    for meta in META_COLUMNS:
        if meta in frame.columns:
            out[meta] = frame[meta].map(lambda v: np.nan if _is_blank(v) else v).to_numpy(dtype=object)
    unmapped: list[tuple[str, str, object]] = []
    numeric_coded: list[str] = []
    for var in codebook.variables.itertuples(index=False):
        name, vtype = var.name, var.type
        if vtype == "select_multiple":
            if name in frame.columns or any(sc in frame.columns for sc in codebook.multiple_columns(name)):
                out.update(_select_multiple(name, frame, rid, codebook, unmapped))
            continue
        if name not in frame.columns:
            continue
        col = frame[name]
        if vtype == "select_one":
            out[name], positional = _select_one(name, col, rid, codebook, unmapped)
            if positional:
                numeric_coded.append(name)
        elif vtype in ("integer", "decimal"):
            text = col.map(lambda v: np.nan if _is_blank(v) else _as_text(v).strip().replace(",", "."))
            num = pd.to_numeric(text, errors="coerce")
            bad = num.isna() & text.notna()
            for r, v in zip(rid[bad], col[bad]):
                unmapped.append((r, name, v))
            out[name] = num.to_numpy(dtype=float)
        else:
            out[name] = np.array([np.nan if _is_blank(v) else _as_text(v).strip() for v in col], dtype=object)
    data = pd.DataFrame(out)
    for c in data.columns:
        if data[c].dtype != float:
            data[c] = data[c].astype(object)
    um = pd.DataFrame(unmapped, columns=[ID_COLUMN, "variable", "value"])
    um["value"] = um["value"].map(_as_text).astype(object)
    um[ID_COLUMN] = um[ID_COLUMN].astype(object)
    um["variable"] = um["variable"].astype(object)
    return Harmonised(data, um, unknown, tuple(numeric_coded))
