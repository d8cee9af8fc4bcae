"""Value-level checks: unmapped answers, "other, specify" recodes, ranges, skip logic, constraints.

Each check is a function ``check(df, ctx) -> log rows`` with a fixed check id;
it never modifies its input. Respondent-level checks (eligibility,
duplicates, speeders...) are in :mod:`._checks`.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .._xlsform_expr import map_values
from ..codebook import normalise_text
from ..countries import country_name, to_iso
from ..harmonise import ID_COLUMN
from ._context import CleaningContext
from ._log import empty_log, free_text_placeholder, log_rows

__all__ = ["check_unmapped", "check_birth_year_two_digit", "check_other_specify", "check_arrival_year",
           "check_skip_logic", "check_constraints", "check_employed_occupation", "other_choice", "has_answer"]

_SELECTED = re.compile(r"selected\(\s*\$\{\s*(\w+)\s*\}\s*,\s*['\"](\w+)['\"]\s*\)")
_EQUALS = re.compile(r"\$\{\s*(\w+)\s*\}\s*=\s*['\"](\w+)['\"]")
#: blanks judged by a more specific check (``employed_no_occupation``)
_COVERED_ELSEWHERE = frozenset({"occupation_level"})
_EXCLUSIVE = re.compile(r"not\(\s*selected\(\s*\.\s*,\s*['\"](\w+)['\"]\s*\)\s*and\s*count-selected\(\s*\.\s*\)"
                        r"\s*>\s*1\s*\)")


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else empty_log()


def _short(value: object, limit: int = 60) -> str:
    s = str(value)
    return s if len(s) <= limit else s[: limit - 1] + "\u2026"


def other_choice(codebook, other_column: str) -> tuple[str, str] | None:
    """``(question, choice)`` that opens the text question ``other_column`` (from its ``relevant``)."""
    rel = codebook.variable(other_column).relevant
    m = _SELECTED.search(rel) or _EQUALS.search(rel)
    return (m.group(1), m.group(2)) if m else None


def check_unmapped(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Answers that match no code: typed countries recoded, everything else set to missing.

    A citizenship answer that names a country outside the questionnaire's
    list becomes ``other_country`` with the country's English name in
    ``citizenship_other``; an unreadable select_multiple 0/1 cell or choice
    name is flagged (it already counts as not selected).
    """
    um = ctx.unmapped
    um = um[um[ID_COLUMN].isin(df[ID_COLUMN])]
    if um.empty:
        return empty_log()
    cb = ctx.codebook
    parts = []
    for var, g in um.groupby("variable", sort=True):
        base = var.split("/", 1)[0]
        vtype = cb.variable(base).type if base in cb else ""
        if var == "citizenship":
            iso = g["value"].map(to_iso)
            typed = iso.notna()
            if typed.any():
                names = iso[typed].map(lambda c: country_name(c, "en"))
                parts.append(log_rows(g.loc[typed, ID_COLUMN], check_id="country_text", action="change_value",
                                      variable="citizenship", old=g.loc[typed, "value"], new="other_country",
                                      reason=[f"typed country {c} is not in the list: other country" for c in
                                              iso[typed]]))
                if "citizenship_other" in df.columns:
                    parts.append(log_rows(g.loc[typed, ID_COLUMN], check_id="country_text",
                                          action="change_value", variable="citizenship_other", new=names,
                                          reason="country typed in the citizenship column"))
            g = g[~typed]
        if g.empty:
            continue
        if vtype == "select_multiple":
            parts.append(log_rows(g[ID_COLUMN], check_id="unmapped_value", action="flag", variable=var,
                                  old=g["value"].map(_short),
                                  reason="choice matches no code of the questionnaire: counted as not selected"))
        else:
            parts.append(log_rows(g[ID_COLUMN], check_id="unmapped_value", action="set_missing", variable=var,
                                  old=g["value"].map(_short),
                                  reason="answer matches no code of the questionnaire"))
    return _concat(parts)


def check_birth_year_two_digit(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Two-digit birth years (``84``) become ``1984`` when that is the only plausible adult year.

    Notes
    -----
    Deductive correction: ``yy`` can only mean ``19yy`` or ``20yy``; ``20yy``
    is after the survey or under 18 whenever ``19yy`` gives an age within the
    plausible range, so the correction is made only then.
    """
    by = pd.to_numeric(df["birth_year"], errors="coerce")
    full = 1900 + by
    ok = by.between(0, 99) & (by == np.floor(by)) & full.between(ctx.min_birth_year, ctx.survey_year - 18)
    ok &= ~(2000 + by).between(ctx.min_birth_year, ctx.survey_year - 18)
    return log_rows(df.loc[ok, ID_COLUMN], check_id="birth_year_two_digit", action="change_value",
                    variable="birth_year", old=by[ok], new=full[ok].astype(int),
                    reason="two-digit birth year completed to 19yy (20yy would be under 18)")


def _citizenship_other(df: pd.DataFrame, ctx: CleaningContext) -> list[pd.DataFrame]:
    if "citizenship_other" not in df.columns:
        return []
    cb = ctx.codebook
    listed = set(cb.codes("citizenship"))
    table = {k: c for k, (q, c, _n) in ctx.recode_lookup("citizenship_other").items() if q == "citizenship"}
    sel = df["citizenship"].eq("other_country") & df["citizenship_other"].notna()
    ids, old, new, unmatched_ids, unmatched_old = [], [], [], [], []
    for rid, text in zip(df.loc[sel, ID_COLUMN], df.loc[sel, "citizenship_other"]):
        code = table.get(normalise_text(text)) or to_iso(text)
        if code is None:
            unmatched_ids.append(rid)
            unmatched_old.append(free_text_placeholder(text))
        elif code in listed and code != "other_country":
            ids.append(rid)
            old.append(text)
            new.append(code)
    return [
        log_rows(ids, check_id="other_specify", action="change_value", variable="citizenship",
                 old="other_country", new=new, reason=[f"'other country' specified as {t!r}, a listed country"
                                                       for t in old]),
        log_rows(ids, check_id="other_specify", action="set_missing", variable="citizenship_other", old=old,
                 reason="text recoded into citizenship"),
        log_rows(unmatched_ids, check_id="country_unmatched", action="flag", variable="citizenship_other",
                 old=unmatched_old, reason="typed citizenship matches no country of the country table: "
                                           "kept as other country"),
    ]


def check_other_specify(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Recode "other, specify" texts to listed answers (recode table; countries for citizenship)."""
    parts = _citizenship_other(df, ctx)
    cb = ctx.codebook
    for other_col in sorted(set(ctx.recode_table["other_column"]) - {"citizenship_other"}):
        if other_col not in df.columns:
            continue
        lookup = ctx.recode_lookup(other_col)
        opener = other_choice(cb, other_col)
        texts = df[other_col]
        hit = texts.notna() & texts.map(lambda t: normalise_text(t) in lookup)
        for i in np.flatnonzero(hit.to_numpy()):
            rid, text = df[ID_COLUMN].iloc[i], texts.iloc[i]
            question, code, note = lookup[normalise_text(text)]
            current = df[question].iloc[i] if question in df.columns else np.nan
            if cb.variable(question).type == "select_multiple":
                picked = set(str(current).split()) if isinstance(current, str) else set()
                if opener and opener[0] == question:
                    picked.discard(opener[1])
                picked.add(code)
                new = " ".join(c for c in cb.codes(question) if c in picked)
            else:
                new = code
            reason = f"'other' text recoded to {code}" + (f" ({note})" if note else "")
            parts.append(log_rows([rid], check_id="other_specify", action="change_value", variable=question,
                                  old=[current], new=[new], reason=reason))
            parts.append(log_rows([rid], check_id="other_specify", action="set_missing", variable=other_col,
                                  old=[text], reason="text recoded through the recode table"))
    return _concat(parts)


def check_arrival_year(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Set to missing an arrival year after the survey year or before the birth year."""
    if "arrival_year" not in df.columns:
        return empty_log()
    ay = pd.to_numeric(df["arrival_year"], errors="coerce")
    by = pd.to_numeric(df["birth_year"], errors="coerce")
    after = ay.notna() & (ay > ctx.survey_year)
    before = ay.notna() & ~after & by.notna() & (ay < by)
    return _concat([
        log_rows(df.loc[after, ID_COLUMN], check_id="arrival_year_range", action="set_missing",
                 variable="arrival_year", old=ay[after],
                 reason=f"out of range: arrival year after the survey year {ctx.survey_year}"),
        log_rows(df.loc[before, ID_COLUMN], check_id="arrival_before_birth", action="set_missing",
                 variable="arrival_year", old=ay[before],
                 reason="inconsistent: arrival year before the birth year"),
    ])


def has_answer(col: pd.Series) -> pd.Series:
    """Whether each cell holds an answer (not missing, not blank text)."""
    if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        return col.notna()  # no text in the column
    return col.notna() & ~map_values(col, lambda v: isinstance(v, str) and not v.strip()).astype(bool)


def check_skip_logic(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Skip-logic violations: answers to questions not asked are removed; blanks where asked are flagged.

    Notes
    -----
    Relevance is evaluated with the codebook's ``relevant`` expressions
    (cascading: a question not asked cannot open another). Blanks are
    flagged only for required questions and for follow-up questions
    (those with their own ``relevant``): an empty follow-up after the
    answer that opens it points to a routing fault, whereas other blanks
    are ordinary item non-response.
    """
    cb = ctx.codebook
    table = cb.relevance_table(df)  # questions whose relevance the data allow to evaluate
    asked = table[[n for n in table.columns if n in df.columns]]
    parts = []
    for name in asked.columns:
        var = cb.variable(name)
        if var.type == "note":
            continue
        ans = has_answer(df[name])
        extra = ans & ~asked[name]
        if extra.any():
            old = df.loc[extra, name]
            if var.type == "text":
                old = old.map(lambda t: t if to_iso(t) else free_text_placeholder(t))
            parts.append(log_rows(df.loc[extra, ID_COLUMN], check_id="skip_not_asked", action="set_missing",
                                  variable=name, old=old,
                                  reason="skip logic: answer to a question that was not asked"))
        if (var.required or var.relevant) and var.type != "text" and name not in _COVERED_ELSEWHERE:
            blank = ~ans & asked[name]
            if blank.any():
                parts.append(log_rows(df.loc[blank, ID_COLUMN], check_id="skip_missing", action="flag",
                                      variable=name,
                                      reason="skip logic: no answer although the question was asked"))
    return _concat(parts)


def check_constraints(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Answers that break the questionnaire's ``constraint``.

    An exclusive choice ticked with others (``no_problems`` with problems)
    is removed (the other ticks are the information); too many ticks are
    flagged; any other violating answer is set to missing. ``birth_year``
    is left to the eligibility checks.
    """
    cb = ctx.codebook
    table = cb.constraint_table(df)
    parts = []
    for name in table.columns:
        if name == "birth_year":
            continue
        bad = ~table[name]
        if not bad.any():
            continue
        var = cb.variable(name)
        m = _EXCLUSIVE.search(var.constraint)
        if var.type == "select_multiple" and m:
            excl = m.group(1)
            old = df.loc[bad, name]
            new = old.map(lambda s: " ".join(c for c in str(s).split() if c != excl))
            parts.append(log_rows(df.loc[bad, ID_COLUMN], check_id=f"constraint_{name}", action="change_value",
                                  variable=name, old=old, new=new,
                                  reason=f"inconsistent: '{excl}' ticked together with other answers; "
                                         f"'{excl}' removed"))
        elif var.type == "select_multiple":
            parts.append(log_rows(df.loc[bad, ID_COLUMN], check_id=f"constraint_{name}", action="flag",
                                  variable=name, old=df.loc[bad, name],
                                  reason=f"constraint {var.constraint!r} not met (kept: which ticks are "
                                         "wrong cannot be told)"))
        else:
            parts.append(log_rows(df.loc[bad, ID_COLUMN], check_id=f"constraint_{name}", action="set_missing",
                                  variable=name, old=df.loc[bad, name],
                                  reason=f"out of range: constraint {var.constraint!r} not met"))
    return _concat(parts)


def check_employed_occupation(df: pd.DataFrame, ctx: CleaningContext) -> pd.DataFrame:
    """Flag employed respondents without an occupation level (kept, flagged)."""
    if "emp_status" not in df.columns or "occupation_level" not in df.columns:
        return empty_log()
    mask = df["emp_status"].isin(["employed", "self_employed"]) & df["occupation_level"].isna()
    return log_rows(df.loc[mask, ID_COLUMN], check_id="employed_no_occupation", action="flag",
                    variable="occupation_level", reason="inconsistent: employed but occupation level not given")
