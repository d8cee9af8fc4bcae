"""The harmonisation itself: columns resolved, checks, answers mapped, repeats linked, shape recognised."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..codebook import Codebook
from ..errors import NeedsAnalysisError
from ..io import RawFile
from ._columns import Columns, map_questions
from ._headers import Resolved, Target, header_index
from ._model import ExportMapping
from ._meta import LIMESURVEY_HINTS, classify_meta, limesurvey_times
from ._model import (DATAFRAME_PATH, ID_COLUMN, META_COLUMNS, REQUIRED_COLUMNS, WEIGHT_COLUMN_NAMES, Harmonised,
                     as_text, is_blank)
from ._repeats import aggregates, link_rows, repeat_of_sheet
from ._shape import Evidence, recognise
from ._unmapped import summarise_unmapped, unmapped_frame
from ._values import MissingSpec, factorize

__all__ = ["harmonise"]

_LS_TIMES = ("startdate", "submitdate", "datestamp", "interviewtime")


def _resolve(columns, index, mapping: ExportMapping | None, stata: bool) -> dict[str, Resolved | None]:
    out: dict[str, Resolved | None] = {}
    for c in columns:
        h = str(c)
        if mapping is not None and h in mapping.columns:
            target = mapping.columns[h]
            hit = Resolved(Target("ignore", h), "mapping") if target == "" else index.resolve(target)
            sep = "[" if h.rstrip().endswith("]") and "[" in h else ""
            out[h] = None if hit is None else Resolved(hit.target, "mapping", sep)
        else:
            out[h] = index.resolve(h, stata=stata)
    # label language of the headers, to prefer when a header has several meanings
    langs = Counter(r.style.split(":", 1)[1] for r in out.values() if r is not None and ":" in r.style)
    prefer = tuple(lang for lang, _ in langs.most_common())
    for h, r in out.items():
        if r is None and prefer:
            out[h] = index.resolve(h, stata=stata, prefer=prefer)
    return out


def _unknown_error(unknown: list[str], index, codebook: Codebook, source: str, limesurvey: bool):
    first = unknown[0]
    ambiguous = index.ambiguous(first)
    if len(ambiguous) > 1:
        return NeedsAnalysisError(f"column {first!r} could be any of {', '.join(ambiguous)}", where=source,
                                  expected="headers that name one question",
                                  fix="export with XML names (KoboToolbox: 'XML values and headers')")
    if limesurvey:
        return NeedsAnalysisError(
            f"LimeSurvey column {first!r} is not a question of the questionnaire", where=source,
            expected="the questionnaire's question names, or a mapping of the survey's own codes",
            fix=f"pass --mapping with the survey's structure file (.lss), or a mapping csv with a row "
                f"'{first},<question name>' (see docs/bringing-data.md)")
    shown = ", ".join(unknown[:5]) + (f" (+{len(unknown) - 5} more)" if len(unknown) > 5 else "")
    return NeedsAnalysisError(
        f"column(s) {shown} are not questions of the questionnaire (version {codebook.version})",
        where=source, expected="an export of the same questionnaire version",
        fix="use the questionnaire the data were collected with, or remove those columns")


def _check_weights(frame: pd.DataFrame, weight_cols: list[str], source: str) -> None:
    for wc in weight_cols:
        col = frame[wc]
        text = col.map(lambda v: np.nan if is_blank(v) else as_text(v).strip().replace(",", "."))
        bad = pd.to_numeric(text, errors="coerce").isna() & text.notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise NeedsAnalysisError(f"weight {col.iloc[i]!r} is not a number",
                                     where=f"{source}, column {wc}, row {i + 2}",
                                     expected="numbers only in a weight column",
                                     fix="correct the cell or remove the column (weights are computed by raking)")


def _ids(frame: pd.DataFrame, source: str) -> tuple[np.ndarray, str]:
    if "_uuid" in frame.columns:
        src = "_uuid"
    elif "_id" in frame.columns:
        src = "_id"
    else:
        raise NeedsAnalysisError("no submission id column", where=source, expected="a column _uuid or _id",
                                 fix="export the platform's submission id")
    idx, uniq = factorize(frame[src])
    texts = np.array([as_text(u).strip() for u in uniq], dtype=object)
    rid = pd.Series(np.where(idx >= 0, texts[np.maximum(idx, 0)] if len(texts) else "", ""), dtype=object)
    if (rid == "").any():
        i = int(np.flatnonzero((rid == "").to_numpy())[0])
        raise NeedsAnalysisError("submission id is blank", where=f"{source}, column {src}, row {i + 2}",
                                 expected="an id on every row", fix="re-export with the platform's ids")
    if rid.duplicated().any():
        first = rid[rid.duplicated()].iloc[0]
        raise NeedsAnalysisError(f"submission id {first!r} occurs more than once", where=f"{source}, column {src}",
                                 expected="a unique id per submission", fix="re-export with the platform's ids")
    return rid.to_numpy(dtype=object), src


def _user_missing(meta: Mapping, rename: dict[str, str]) -> dict[str, MissingSpec]:
    """Question -> what its SPSS/Stata variable declares user-missing, as the values appear in the data."""
    out: dict[str, MissingSpec] = {}
    labels = meta.get("value_labels") or {}
    for var, declared in (meta.get("user_missing") or {}).items():
        if var not in rename:
            continue
        values, ranges = set(), []
        for spec in declared:
            if isinstance(spec, tuple):
                ranges.append((float(spec[0]), float(spec[1])))
            else:
                values.add(spec)
        spec = MissingSpec(values, tuple(ranges))
        for value, label in (labels.get(var) or {}).items():
            if value in spec or (isinstance(value, (int, float)) and float(value) in spec):
                values.add(label)
        out[rename[var]] = MissingSpec(values, tuple(ranges))
    return out


def _meta_values(frame: pd.DataFrame, cols: dict[str, str], ev: Evidence, report: list[str]) -> dict[str, np.ndarray]:
    """The kept meta columns (META_COLUMNS order), LimeSurvey times made canonical; the rest dropped (reported)."""
    def blanked(col: pd.Series) -> np.ndarray:
        idx, uniq = factorize(col)
        out = np.full(len(idx), np.nan, dtype=object)
        out[idx >= 0] = uniq[idx[idx >= 0]]
        return out

    kept: dict[str, pd.Series] = {}
    dropped, identifiers = [], []
    for header, canon in cols.items():
        meta = classify_meta(header)
        if canon in META_COLUMNS and canon not in kept:
            kept[canon] = frame[header]
        elif canon in _LS_TIMES:
            continue
        elif meta is not None and meta.identifier:
            identifiers.append(header)
        else:
            dropped.append(header)
    times = {c: frame[h] for h, c in cols.items() if c in _LS_TIMES}
    if times:
        made, used, note = limesurvey_times(times)
        for c, col in made.items():
            kept.setdefault(c, col)
        if note:
            report.append(note)
        dropped += [h for h, c in cols.items() if c in _LS_TIMES and c not in used]
    if dropped:
        report.append("platform columns dropped (the analysis does not use them): " + ", ".join(dropped))
    if identifiers:
        report.append("platform columns dropped as identifiers (never kept or published): " + ", ".join(identifiers))
    return {m: blanked(kept[m]) for m in META_COLUMNS if m in kept}


def _repeat_sheets(raw: RawFile, codebook: Codebook, index, main: pd.DataFrame, rid: np.ndarray, source: str,
                   taken: set[str], ev: Evidence, report: list[str]):
    """Repeat sheets -> rows in codes (respondent-linked), per-respondent aggregates, unmapped answers, answers."""
    sheets = dict(raw.extra_sheets or {})
    if not sheets:
        for r in codebook.repeats:
            report.append(f"repeat group {r!r}: no sheet in the export (CSV and single-sheet exports leave "
                          "repeat groups out), its aggregates are not available")
        return {}, {}, [], Counter()

    def owner(h):
        hit = index.resolve(h)
        return hit.target.column if hit is not None and hit.target.kind == "question" else None

    named = {s: repeat_of_sheet(s, [str(c) for c in f.columns], codebook, owner, source) for s, f in sheets.items()}
    main_keys = main["_index"].map(lambda v: "" if is_blank(v) else as_text(v).strip()) if "_index" in main else None
    if main_keys is None:
        raise NeedsAnalysisError(f"the repeat sheet {next(iter(sheets))!r} cannot be linked: the main sheet has no "
                                 "_index column", where=source, expected="KoboToolbox's _index in every sheet",
                                 fix="export again with all columns")
    parents: dict[str, np.ndarray] = {"": np.array(list(zip(main_keys, rid)), dtype=object)}
    rows_out, aggs, unmapped, answered = {}, {}, [], Counter()
    pending = list(sheets)
    while pending:
        progressed = False
        for s in list(pending):
            frame = sheets[s]
            tables = set(frame["_parent_table_name"].dropna().astype(str)) if "_parent_table_name" in frame else set()
            if any(t in named.values() and t not in parents for t in tables):
                continue  # its parent repeat is not linked yet
            repeat = named[s]
            owners = link_rows(s, frame, parents, f"{source}")
            resolved = {str(c): index.resolve(str(c)) for c in frame.columns}
            unknown = [h for h, r in resolved.items() if r is None]
            if unknown:
                raise _unknown_error(unknown, index, codebook, f"{source}, sheet {s!r}", False)
            ev.group_seps.update(r.sep for r in resolved.values() if r is not None and r.grouped and r.sep
                                 and r.target.kind == "question")
            rename = {h: r.target.column for h, r in resolved.items()
                      if r is not None and r.target.kind in ("question", "choice", "other")}
            cols: Columns = map_questions(frame.rename(columns=rename), codebook.repeats[repeat], codebook)
            answered.update(cols.answered)
            data = pd.DataFrame({ID_COLUMN: owners, **cols.values})
            if "_index" in frame.columns:
                keys = frame["_index"].map(lambda v: "" if is_blank(v) else as_text(v).strip())
                parents[repeat] = np.array(list(zip(keys, owners)), dtype=object)
            rows_out[repeat] = data
            unmapped += [(owners[r], v, val) for r, v, val in cols.unmapped]
            aggs.update(aggregates(repeat, data, cols, codebook, rid, taken | set(aggs)))
            ev.values.update(cols.styles)
            report.append(f"repeat group {repeat!r}: sheet {s!r}, {len(data)} rows linked to "
                          f"{data[ID_COLUMN].nunique()} respondents; aggregates n_{repeat}, "
                          f"n_{repeat}_<question>_<choice>")
            pending.remove(s)
            progressed = True
        if not progressed:
            raise NeedsAnalysisError(f"sheet {pending[0]!r}: its parent sheet is not in the export", where=source,
                                     expected="every repeat sheet's _parent_table_name among the sheets",
                                     fix="export the whole form again")
    ev.extras.append("repeat sheets " + ", ".join(f"{s} ({len(rows_out[named[s]])} rows)" for s in sheets))
    return rows_out, aggs, unmapped, answered


def harmonise(raw: RawFile | pd.DataFrame, codebook: Codebook, *, source: str | None = None,
              allow_unknown_columns: bool = False, mapping: ExportMapping | None = None) -> Harmonised:
    """Recode a raw export to codebook codes (see :mod:`needs_analysis.harmonise`).

    Parameters
    ----------
    raw : RawFile or DataFrame
        The export as read by :func:`needs_analysis.io.read_raw` (its repeat
        sheets and SPSS/Stata declarations are used), or a table in memory
        (not modified).
    codebook : Codebook
        The questionnaire.
    source : str, optional
        Name used in messages (default: the file and sheet, or ``DataFrame``).
    allow_unknown_columns : bool, default False
        Accept columns that are neither codebook questions nor platform
        columns (they are listed in ``unknown_columns``). By default they mean
        the export comes from another questionnaire version, which is an error.
    mapping : ExportMapping, optional
        The export's own column and answer codes -> the questionnaire's
        (:func:`~needs_analysis.harmonise.read_mapping`).

    Returns
    -------
    Harmonised

    Raises
    ------
    NeedsAnalysisError
        Two columns hold one question; a column the questionnaire does not
        know (for a LimeSurvey export: naming the mapping it needs); a
        required question or the submission id missing; ids repeating; a
        supplied weight column holding text; a repeat sheet for a
        questionnaire without repeat groups, or one that cannot be linked.

    Notes
    -----
    select_multiple: when every 0/1 column is present they are used (the
    single column's labels cannot always be split); otherwise the single
    column, falling back row by row. A select_one column holding only whole
    numbers 1..k is read as position codes in the choice list's order
    (reported in ``numeric_coded``).
    """
    if isinstance(raw, RawFile):
        frame = raw.data
        file = "DataFrame" if raw.path == DATAFRAME_PATH else raw.path.suffix.lower().lstrip(".") or "file"
        source = source or (f"{raw.path}, sheet {raw.sheet!r}" if raw.sheet else str(raw.path))
        ev = Evidence(file, raw.delimiter)
        meta = raw.meta or {}
    else:
        frame, meta, raw = raw, {}, None
        source = source or "DataFrame"
        ev = Evidence("DataFrame")
    index = header_index(codebook)
    resolved = _resolve(frame.columns, index, mapping, stata=ev.file == "dta")
    ev.mapping = mapping.source if mapping is not None else ""
    ev.platform_columns = {name.strip().casefold() for h, r in resolved.items()
                           if r is not None and r.target.kind == "meta" for name in (h, r.target.column)}
    limesurvey = bool(ev.platform_columns & LIMESURVEY_HINTS) or mapping is not None and mapping.source.endswith(".lss")
    # duplicates: two headers for one question or choice column
    holders: dict[str, list[str]] = {}
    for h, r in resolved.items():
        if r is not None and r.target.kind in ("question", "choice", "other"):
            holders.setdefault(r.target.column, []).append(h)
    dup = {c: hs for c, hs in holders.items() if len(hs) > 1}
    if dup:
        col, hs = next(iter(dup.items()))
        raise NeedsAnalysisError(f"columns {', '.join(hs)} all hold question {col}", where=source,
                                 expected="one column per question", fix="delete the extra column(s)")
    weight_cols = [h for h, r in resolved.items() if r is None and h.strip().casefold() in WEIGHT_COLUMN_NAMES]
    unknown = [h for h, r in resolved.items() if r is None and h not in weight_cols]
    if unknown and not allow_unknown_columns:
        raise _unknown_error(unknown, index, codebook, source, limesurvey)
    rename = {h: r.target.column for h, r in resolved.items()
              if r is not None and r.target.kind in ("question", "choice", "other")}
    work = frame.rename(columns=rename)
    missing = [c for c in REQUIRED_COLUMNS if c not in work.columns]
    if missing:
        raise NeedsAnalysisError(f"required column(s) missing: {', '.join(missing)}", where=source,
                                 expected="the questionnaire's question names (or labels) as column headers",
                                 fix="rename the columns to the codebook names, or give a mapping file (--mapping)")
    _check_weights(frame, weight_cols, source)
    report: list[str] = []
    meta_cols = {h: r.target.column for h, r in resolved.items() if r is not None and r.target.kind == "meta"}
    id_frame = pd.DataFrame({c: frame[h] for h, c in reversed(list(meta_cols.items())) if c in ("_uuid", "_id")})
    rid, _ = _ids(id_frame, source)
    out: dict[str, np.ndarray] = {ID_COLUMN: rid}
    out.update(_meta_values(frame, meta_cols, ev, report))
    for h, r in resolved.items():
        if r is None or r.target.kind not in ("question", "choice", "note", "other"):
            continue
        ev.headers[r.style] += 1
        if r.grouped and r.sep:
            ev.group_seps[r.sep] += 1
        if r.target.kind == "choice" and r.sep:
            ev.choice_seps[r.sep] += 1
    notes = [h if len(h) <= 40 else h[:39] + "\u2026" for h, r in resolved.items()
             if r is not None and r.target.kind == "note"]
    if notes:
        report.append("note columns ignored: " + ", ".join(notes))
    ignored = [h for h, r in resolved.items() if r is not None and r.target.kind in ("comment", "ignore")]
    if ignored:
        report.append("columns ignored (comments, or blank in the mapping file): " + ", ".join(ignored))
    prefer = tuple(lang for lang, _ in Counter(s.split(":", 1)[1] for s in ev.headers.elements()
                                               if ":" in s).most_common())
    answers = {rename.get(h, h): mapping.answers_for(h, rename.get(h, h))
               for h in frame.columns if mapping is not None and mapping.answers_for(h, rename.get(h, h))}
    other_text = {r.target.question: r.target.column for r in resolved.values()
                  if r is not None and r.target.kind == "other"}
    in_repeat = {q for qs in codebook.repeats.values() for q in qs}
    names = [n for n in codebook.names if n not in in_repeat]
    cols = map_questions(work, names, codebook, prefer=prefer, answers=answers,
                         user_missing=_user_missing(meta, rename), other_text=other_text)
    out.update(cols.values)
    unmapped = [(rid[r], v, val) for r, v, val in cols.unmapped]
    ev.values.update(cols.styles)
    ev.layouts.update(cols.layouts)
    repeats, aggs, rep_unmapped, rep_answered = ({}, {}, [], Counter()) if raw is None else \
        _repeat_sheets(raw, codebook, index, frame.rename(columns=meta_cols), rid, source, set(out), ev, report)
    out.update(aggs)
    unmapped += rep_unmapped
    if cols.numeric_coded:
        report.append("select_one answers read as position codes (1 = first choice): " + ", ".join(cols.numeric_coded))
    if meta.get("user_missing"):
        ev.extras.append(f"user-missing codes declared in {len(meta['user_missing'])} variables")
        report.append(f"declared user-missing codes: {cols.styles.get('user-missing', 0)} answers mapped to "
                      "dont_know/refused by their value labels (select_one) or left blank (numbers, text)")
    if cols.layouts.get("both"):
        report.append("select_multiple: the 0/1 columns are used, the single column only where they are blank")
    data = pd.DataFrame({c: pd.Series(v, dtype=float if v.dtype.kind == "f" else object) for c, v in out.items()})
    data.columns = pd.Index(data.columns, dtype=object)
    um = unmapped_frame(unmapped)
    answered = Counter(cols.answered) + rep_answered
    shape = recognise(ev)
    if mapping is not None:
        report.insert(0, mapping.describe())
    report.insert(0, f"recognised: {shape.describe()}")
    return Harmonised(data, um, tuple(unknown), tuple(cols.numeric_coded),
                      summarise_unmapped(um, answered, codebook), shape, tuple(report),
                      MappingProxyType(repeats))
