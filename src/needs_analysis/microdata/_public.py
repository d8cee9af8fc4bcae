"""The public-use file: identifiers and free text removed, the key variables made k-anonymous.

:func:`public_file` follows the order of sdcMicro's usual workflow (Templ et
al. 2015): first global recoding, which changes a category for every record
that has it, then local suppression, which blanks single key values of the
records that still share their key values with fewer than ``k - 1`` others.

Global recoding (:class:`~needs_analysis.config.PublicFileRules`):

* a citizenship held by fewer than ``rare_citizenship`` respondents of the file
  becomes its UN M49 sub-region (``resources/m49_regions.csv``), and a
  sub-region still that rare its M49 region; never a country that is a
  citizenship group of its own (Ukraine, Belarus, Russia, India), since the
  group, which is published, would give it back, and a sub-region is merged
  into its region only with sub-regions of the same citizenship group, so the
  published group never tells a recoded citizenship apart;
* numbers above a cap are top-coded (3 children or more -> 3);
* age, years of birth and arrival are not published (the age and years groups
  are), nor the questionnaire's citizenship answer and ISO code (the recoded
  citizenship is).

Local suppression reads a blank key value as sdcMicro does (it matches any
value; see :mod:`._risk`): a record is protected when at least ``k`` records
(itself included) agree with it on every key it still shows. The rule is
greedy, record by record, with the keys in the declared order of importance:
a record with fewer matches blanks the least important key whose blanking
alone gives it ``k``; when no single key does, the key whose blanking gives it
the most matches (ties: the least important), and so on until it has ``k``.
Keys declared ``never_suppress`` (the municipality) are blanked only when the
record shows no other key. The pass is repeated until no record violates (a
blank can take a match from another record). A record whose keys are all
blank cannot be told apart from anyone (risk 0). This is not an optimal,
fewest-possible suppression, which is NP-hard (Meyerson and Williams 2004),
but each record loses only what its own protection needs at that step. A
blanked citizenship takes its citizenship group with it. Blanks of questions
not asked (no children: no number of children) are a category of their own,
not a suppression.

References
----------
Templ, M., Kowarik, A. and Meindl, B. (2015). Statistical disclosure control
for micro-data using the R package sdcMicro. Journal of Statistical Software
67(4). doi:10.18637/jss.v067.i04 (``globalRecode``, ``localSuppression``).

Meyerson, A. and Williams, R. (2004). On the complexity of optimal
k-anonymity. PODS 2004, 223-228.

United Nations Statistics Division. Standard country or area codes for
statistical use (M49).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..clean import CITIZENSHIP_GROUPS, DERIVED_FROM, find_identifiers, scrub_identifiers
from ..codebook import Codebook
from ..config import PUBLIC_FILE_RULES, PublicFileRules
from ..errors import NeedsAnalysisError
from ._frame import m49_rows
from ._risk import RiskMeasures, key_frequencies, risk_measures

__all__ = ["PublicFile", "public_file", "key_frame", "BLANK"]

#: A key value that is blank in the data (a question not asked): a category of its own in the key frame.
BLANK = "(blank)"
_OWN_GROUP = frozenset(iso for group, members in CITIZENSHIP_GROUPS.items() if members == (group,)
                       for iso in members)
_IDENTIFIER_KINDS = ("free_text", "meta", "name", "review")


@dataclass(frozen=True)
class PublicFile:
    """A public-use file and how it was made.

    Attributes
    ----------
    data : DataFrame
        The public respondents (the project's column names; ``public_id`` instead of the respondent id).
    rules : PublicFileRules
    keys : DataFrame
        The key variables of :attr:`data` as the risk measures read them
        (:func:`key_frame`): a blank answer :data:`BLANK`, a suppressed value NaN.
    removed : DataFrame
        ``column, reason``: the columns not published; the reason is ``identifier_<kind>`` (a kind of
        :func:`~needs_analysis.clean.find_identifiers`), ``finer`` (a finer version of a key variable),
        ``platform`` (a survey-platform field) or ``public_id`` (the respondent id, replaced).
    recodings : DataFrame
        ``variable, from_value, to_value, n``: the global recodings.
    suppressions : DataFrame
        ``variable, n``: values blanked by local suppression, per key (and linked) variable.
    risk_before, risk_after : RiskMeasures
        On the key variables of the clean data and of the public file.
    """

    data: pd.DataFrame
    rules: PublicFileRules
    keys: pd.DataFrame
    removed: pd.DataFrame
    recodings: pd.DataFrame
    suppressions: pd.DataFrame
    risk_before: RiskMeasures
    risk_after: RiskMeasures


def _regions() -> dict[str, tuple[str, str]]:
    return {r["iso2"]: (r["subregion"], r["region"]) for r in m49_rows()}


def key_frame(data: pd.DataFrame, rules: PublicFileRules, suppressed: pd.DataFrame | None = None) -> pd.DataFrame:
    """The key variables as text, a blank as :data:`BLANK`, a suppressed value as NaN (matches any value).

    Parameters
    ----------
    data : DataFrame
        Respondents with the key columns of ``rules`` (a missing key column is an error).
    rules : PublicFileRules
    suppressed : DataFrame of bool, optional
        Same shape as the key columns: True where a value was suppressed.

    Returns
    -------
    DataFrame
    """
    missing = [c for c in rules.key_columns if c not in data.columns]
    if missing:
        raise NeedsAnalysisError(f"key variable(s) {', '.join(missing)} not in the data", where="PublicFileRules.keys",
                                 expected="columns of the clean respondents", fix="correct the keys in the rules")
    out = pd.DataFrame({c: data[c].map(lambda v: BLANK if pd.isna(v) else str(v)).astype(object)
                        for c in rules.key_columns}, index=data.index)
    if suppressed is not None:
        out = out.mask(suppressed.to_numpy())
    return out


def _recode_citizenship(data: pd.DataFrame, rules: PublicFileRules) -> tuple[pd.Series, list[dict]]:
    source = data["citizenship_iso"] if "citizenship_iso" in data.columns else data["citizenship"]
    values = source.where(source.notna(), data.get("citizenship")).astype(object)
    citgrp = data["citgrp"] if "citgrp" in data.columns else pd.Series("", index=data.index)
    regions, rows = _regions(), []
    counts = values.value_counts()
    step1 = {c: regions[c][0] for c, n in counts.items()
             if n < rules.rare_citizenship and c in regions and c not in _OWN_GROUP}
    recoded = values.map(lambda v: step1.get(v, v))
    for c in sorted(step1):
        rows.append({"variable": "citizenship", "from_value": c, "to_value": step1[c], "n": int(counts[c])})
    sub_to_region = {sub: reg for sub, reg in regions.values()}
    sub_counts = recoded[recoded.isin(set(step1.values()))].value_counts()
    step2 = {}
    for sub, n in sub_counts.items():
        groups = set(citgrp[recoded == sub].dropna())
        if n < rules.rare_citizenship and groups <= {"other_third"}:
            step2[sub] = sub_to_region[sub]
    # a region takes only sub-regions of the citizenship group "other_third" (see the module's notes)
    recoded = recoded.map(lambda v: step2.get(v, v))
    for sub in sorted(step2):
        rows.append({"variable": "citizenship", "from_value": sub, "to_value": step2[sub], "n": int(sub_counts[sub])})
    return recoded, rows


def _best_key(cur: np.ndarray, i: int, k: int, kept: np.ndarray) -> int | None:
    """The key of record ``i`` to blank next (None: the record has ``k`` matches already).

    The least important key (declared last) whose blanking alone gives the record ``k`` matches; when
    none does, the key whose blanking gives it the most (ties: the least important). Keys in ``kept``
    only when the record shows no other.
    """
    own = cur[i]
    shown = own >= 0
    free = shown & ~kept if (shown & ~kept).any() else shown
    equal = (cur == own) | ~shown  # the record's own blanks match anything; another record's blank nothing
    mismatches = (~equal).sum(axis=1)
    now = int((mismatches == 0).sum())
    if now >= k or not shown.any():
        return None
    reached = now + ((mismatches == 1)[:, None] & ~equal).sum(axis=0)
    enough = np.flatnonzero(free & (reached >= k))
    if len(enough):
        return int(enough.max())
    score = np.where(free, reached, -1)
    return int(np.flatnonzero(score == score.max()).max())


def _suppress(keys: pd.DataFrame, weights, k: int, kept: tuple[str, ...] = ()) -> np.ndarray:
    """Local suppression to k-anonymity as sdcMicro reads a blank (it matches any value); the cells blanked."""
    codes = np.column_stack([pd.factorize(keys[c])[0] for c in keys.columns])
    cur = codes.copy()
    keep = np.array([c in kept for c in keys.columns])
    while True:
        fk, _Fk, empty = key_frequencies(pd.DataFrame(np.where(cur < 0, np.nan, cur), columns=keys.columns),
                                         weights)
        bad = np.flatnonzero((fk < k) & ~empty)
        if not len(bad):
            return cur < 0
        for i in bad:
            while (j := _best_key(cur, i, k, keep)) is not None:
                cur[i, j] = -1


def public_file(data: pd.DataFrame, codebook: Codebook, rules: PublicFileRules = PUBLIC_FILE_RULES,
                weight: str = "weight") -> PublicFile:
    """Make the public-use file of clean weighted respondents.

    Parameters
    ----------
    data : DataFrame
        Clean weighted respondents (analysis format; not modified).
    codebook : Codebook
        The questionnaire (its text questions are free text).
    rules : PublicFileRules
        Keys, k and the recodings (default :data:`~needs_analysis.config.PUBLIC_FILE_RULES`).
    weight : str
        The weight column (kept: estimates need it).

    Returns
    -------
    PublicFile

    Notes
    -----
    See the module's docstring for the recodings and the suppression rule. The
    risk before is measured on the clean data's keys (the ISO citizenship, the
    number of children as answered); the risk after on the public file's.
    """
    before = data.assign(citizenship=data["citizenship_iso"].where(data["citizenship_iso"].notna(),
                                                                   data["citizenship"])) \
        if "citizenship_iso" in data.columns else data
    risk_before = risk_measures(key_frame(before, rules), data[weight], rules.k)

    found = find_identifiers(data, codebook)
    removed = [(c, f"identifier_{kind}") for c, kind in found.loc[found["kind"].isin(_IDENTIFIER_KINDS),
                                                                  ["column", "kind"]].itertuples(index=False)]
    finer = set(DERIVED_FROM) | set(DERIVED_FROM.values())
    removed += [(c, "finer" if c in finer else "platform") for c in rules.drop
                if c in data.columns and c not in {r[0] for r in removed}]
    out = scrub_identifiers(data, codebook)
    citizenship, recodings = _recode_citizenship(out, rules)
    out = out.assign(citizenship=citizenship)
    for col, cap in rules.top_codes:
        if col in out.columns:
            over = pd.to_numeric(out[col], errors="coerce") > cap
            if over.any():
                for value, n in out.loc[over, col].value_counts().sort_index().items():
                    recodings.append({"variable": col, "from_value": str(value), "to_value": str(cap), "n": int(n)})
                out[col] = out[col].where(~over, cap)
    if "respondent_id" in out.columns:
        digest = out["respondent_id"].map(lambda v: hashlib.sha256(str(v).encode("utf-8")).hexdigest())
        out = out.loc[digest.sort_values(kind="stable").index]
        removed.append(("respondent_id", "public_id"))
    out = out.drop(columns=[c for c, _ in removed if c in out.columns])
    out.insert(0, "public_id", np.arange(1, len(out) + 1))

    out = out.reset_index(drop=True)
    suppressed = _suppress(key_frame(out, rules), out[weight], rules.k, rules.never_suppress)
    linked = dict(rules.linked)
    counts = []
    for j, col in enumerate(rules.key_columns):
        mask = suppressed[:, j]
        if mask.any():
            for target in (col, *linked.get(col, ())):
                if target in out.columns:
                    out[target] = out[target].where(~mask)
                    counts.append({"variable": target, "n": int(mask.sum())})
    keys_after = key_frame(out, rules, pd.DataFrame(suppressed, columns=list(rules.key_columns)))
    risk_after = risk_measures(keys_after, out[weight], rules.k)
    return PublicFile(out, rules, keys_after, pd.DataFrame(removed, columns=["column", "reason"]),
                      pd.DataFrame(recodings, columns=["variable", "from_value", "to_value", "n"]),
                      pd.DataFrame(counts, columns=["variable", "n"]), risk_before, risk_after)
