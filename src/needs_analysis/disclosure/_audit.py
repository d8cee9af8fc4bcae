"""The linked-cell audit: no count a pack publishes reveals a count it hides.

Every count is a set of respondents (:mod:`._sets`). The audit builds, as
bitsets over the audit universe, the set of every count the pack publishes
and of every count it hides, and reports a leak where

* **equal**: a hidden set equals a published one (the follow-up "satisfied
  with the service", asked of those who used it, publishes as its base the
  hidden number of users);
* **difference**: a hidden set is the difference ``P1 \\ P2`` of two nested
  published sets ``P2 ⊂ P1`` (two bases that differ by exactly the hidden
  respondents);
* **inside**: the non-empty base of an estimate lies inside a hidden set,
  so the published base bounds the hidden count from below (a follow-up's
  base when some of the hidden respondents skipped the follow-up). Only
  bases are checked this way: a base is defined by who was asked, so its
  containment in a hidden set is the questionnaire's routing; a small
  cleaning count inside a hidden set is chance, which no reader can know.

The patterns compare sets, not definitions: they cannot tell whether a
reader could know that two sets coincide, so they also catch sets that
coincide by chance (e.g. the one respondent who skipped a question being
the one respondent of a hidden cell). Such counts are withheld too: the
audit errs on the side of publishing less.

Published counts (found by reading every writer in ``figures/``, ``tables/``
and ``report/``):

* the base ``n`` of every estimate row where it is a number: tables 2 and 3
  "Base (n)", table 4, the bar labels and panel titles of figures 2–7, the
  base notes ("n = lo–hi") under the figures, the universe notes of the
  Notes sheet;
* the base ``n`` of the pack's municipality in the comparison table: table 5
  and the base note of figure 8;
* the number of analysed respondents (table 1, the note of figure 1, the key
  figures and sample text of report.html, "analysed" in table 6);
* the sample count of every weighting cell, ``sample_n`` and
  ``sample_share`` of the weights report's margins (table 1b; the sample
  bars of figure 1);
* the counts of changed and flagged respondents by check (table 6), where
  every log row counted names a different analysed respondent (otherwise
  the number counts values, not respondents).

Not counts of analysed respondents, hence outside the audit: population
counts and weighted totals, weighted estimates, effective sample size,
numbers of merged weighting categories, records received and removed (the
removed are not in the analysed data). The number of trimmed weights is a
count of respondents whose set the weights report does not keep; it is
quoted in table 1 only.

Hidden counts: the numerator of every proportion (estimates and comparison:
each municipality, the other municipalities pooled, all pooled) below
``min_count`` (``min_count_sensitive`` for sensitive indicators), and every
base below ``min_count`` that is not published.

The universe is every respondent of the municipalities compared, because
the comparison's pooled counts span municipalities. Every set a pack
publishes lies within its own municipality, so a hidden set that leaks
through one pack lies within that municipality too; auditing each pack
against the hidden sets of the whole comparison therefore also covers a
reader who holds all six packs.

References
----------
Hundepool, A. et al. (2012). *Statistical Disclosure Control*, Wiley,
ch. 4 and 5 (secondary cell suppression, linked tables, frequency tables).
Eurostat (2019). *Handbook on Statistical Disclosure Control for Outputs*:
disclosure by differencing of nested tables.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..config import DEFAULT_RULES, DisclosureRules
from ..errors import NeedsAnalysisError, require_columns
from ._rules import BASE_WITHHELD_FLAGS, as_bool
from ._sets import CLEANING_STEPS, AuditData

__all__ = ["Cell", "Leak", "AuditResult", "AUDIT_RULES", "find_leaks", "pack_cells", "audit_pack",
           "audit_result"]

#: The audit's rules, as recorded in every manifest.
AUDIT_RULES: tuple[str, ...] = (
    "hidden: numerators below min_count (min_count_sensitive for sensitive indicators) of the estimates and of "
    "the comparison (municipality, other municipalities, all), and unpublished bases below min_count",
    "published: bases n of estimates and of the comparison, respondents analysed, weighting-cell sample counts, "
    "respondents changed or flagged by a cleaning check",
    "leak: a hidden set equal to a published set",
    "leak: a hidden set equal to P1 minus P2 for published sets P2 within P1",
    "leak: a non-empty published base within a hidden set",
)
#: Sources whose published counts are estimate bases (checked for the "inside" pattern).
BASE_SOURCES: tuple[str, ...] = ("estimates", "comparison")

_REQUIRED = ("municipality", "indicator", "domain", "domain_value", "n", "kind")


@dataclass(frozen=True)
class Cell:
    """One count of a pack and the respondents it counts.

    Attributes
    ----------
    source : str
        ``estimates``, ``comparison``, ``margins``, ``summary`` or ``processing``.
    row : int
        Position of the count's row in its source table.
    label : str
        Human-readable name, e.g. ``"akmene · svc_used_social · total: count"``.
    bits : int
        The set: bit ``j`` is respondent ``j`` of the audit universe.
    size : int
        Number of respondents in the set.
    hideable : bool
        Whether the count can be withheld from the pack (a base, a
        weighting-cell count or a cleaning count can; the number of
        respondents cannot).
    """

    source: str
    row: int
    label: str
    bits: int = field(repr=False)
    size: int
    hideable: bool = False


@dataclass(frozen=True)
class Leak:
    """A hidden count that published counts reveal.

    Attributes
    ----------
    kind : {"equal", "difference", "inside"}
        See the module docstring.
    hidden : tuple of str
        Labels of the hidden counts with this set.
    size : int
        The hidden count.
    published : tuple of tuple of str
        Labels of the published counts of each set involved: one set
        (``equal``, ``inside``) or ``(P1, P2)`` (``difference``).
    sets : tuple of int
        The published sets involved (bitsets), in the order of ``published``.
    """

    kind: str
    hidden: tuple[str, ...]
    size: int
    published: tuple[tuple[str, ...], ...]
    sets: tuple[int, ...] = field(repr=False)

    def describe(self) -> str:
        """One line: the hidden count and the published counts that reveal it."""
        def names(labels):
            return labels[0] + (f" (and {len(labels) - 1} more)" if len(labels) > 1 else "")

        parts = [names(p) for p in self.published]
        how = {"equal": "equals", "difference": "is the difference of", "inside": "contains"}[self.kind]
        return f"{names(self.hidden)} = {self.size} {how} " + " minus ".join(parts)


@dataclass(frozen=True)
class AuditResult:
    """What the audit checked and found.

    Attributes
    ----------
    municipality : str
        The pack's municipality.
    respondents : int
        Size of the audit universe.
    published_cells, published_sets : int
        Published counts checked, and their distinct sets.
    hidden_cells, hidden_sets : int
        Hidden counts checked, and their distinct sets.
    leaks : tuple of Leak
        Empty when nothing published reveals a hidden count.
    withheld : tuple of (str, int)
        By source table, the counts the tables leave blank although they are
        neither a base given as "n < min_n" nor below ``min_count``: those
        :func:`~needs_analysis.disclosure.protect_pack` withheld.
    """

    municipality: str
    respondents: int
    published_cells: int
    published_sets: int
    hidden_cells: int
    hidden_sets: int
    leaks: tuple[Leak, ...]
    withheld: tuple[tuple[str, int], ...] = ()

    @property
    def passed(self) -> bool:
        """True when there is no leak."""
        return not self.leaks

    def to_manifest(self) -> dict:
        """The manifest entry ``disclosure_audit`` (JSON-ready)."""
        return {"respondents": self.respondents, "published_counts": self.published_cells,
                "published_sets": self.published_sets, "hidden_counts": self.hidden_cells,
                "hidden_sets": self.hidden_sets, "leaks": len(self.leaks), "withheld_counts": dict(self.withheld),
                "rules": list(AUDIT_RULES)}


def _bits(mask: np.ndarray) -> int:
    """A boolean mask over the universe as an integer bitset."""
    return int.from_bytes(np.packbits(mask, bitorder="little").tobytes(), "little")


def find_leaks(published: Sequence[Cell], hidden: Sequence[Cell]) -> list[Leak]:
    """Every hidden set that the published sets reveal.

    Parameters
    ----------
    published, hidden : sequence of Cell
        The counts a pack publishes and hides.

    Returns
    -------
    list of Leak
        In the order of the hidden cells (one leak per hidden set and
        published pattern).

    Notes
    -----
    Sets are compared as integer bitsets; cells with the same set are
    grouped first. For a hidden set ``H`` of size ``h`` the difference
    pattern is found without enumerating pairs: for each published ``P1``
    with ``|P1| - h`` among the published sizes and ``H ⊆ P1``, ``P1 \\ H``
    is looked up among the published sets. An empty ``H`` is checked for
    equality only: the difference of two equal published sets is empty
    whatever is hidden, so it reveals no particular zero.
    """
    pub: dict[int, list[Cell]] = {}
    for c in published:
        pub.setdefault(c.bits, []).append(c)
    hid: dict[int, list[Cell]] = {}
    for c in hidden:
        hid.setdefault(c.bits, []).append(c)
    items = [(bits, cells[0].size) for bits, cells in pub.items()]
    sizes = {s for _, s in items}

    def labels(bits: int) -> tuple[str, ...]:
        return tuple(c.label for c in pub[bits])

    leaks = []
    for h, cells in hid.items():
        size = cells[0].size
        names = tuple(c.label for c in cells)
        if h in pub:
            leaks.append(Leak("equal", names, size, (labels(h),), (h,)))
        if size == 0:
            continue
        for p, s in items:
            if s > size:
                if (s - size) in sizes and p & h == h and (p ^ h) in pub:
                    leaks.append(Leak("difference", names, size, (labels(p), labels(p ^ h)), (p, p ^ h)))
            elif 0 < s < size and p & h == p and any(c.source in BASE_SOURCES for c in pub[p]):
                leaks.append(Leak("inside", names, size, (labels(p),), (p,)))
    return leaks


class _Builder:
    """Collects the published and hidden cells of one pack, checking every count against the respondents."""

    def __init__(self, data: AuditData, municipality: str, rules: DisclosureRules):
        self.data = data
        self.m = municipality
        self.min_count = float(rules.min_count)
        self.min_count_sensitive = float(rules.min_count_sensitive)
        self.published: list[Cell] = []
        self.hidden: list[Cell] = []
        self.withheld: Counter = Counter()
        self._masks: dict[tuple, np.ndarray] = {}

    def municipality_mask(self, m: str, where: str) -> np.ndarray:
        key = ("m", m)
        if key not in self._masks:
            mask = self.data.municipality == m
            if not mask.any():
                raise NeedsAnalysisError(f"no respondents of {m!r} in the audit data", where=where,
                                         expected="the respondents of every municipality in the tables",
                                         fix="build the audit data from every municipality compared")
            self._masks[key] = mask
        return self._masks[key]

    def cell_mask(self, m: str, domain: str, value: str, where: str) -> np.ndarray:
        key = ("d", m, domain, value)
        if key not in self._masks:
            mask = self.municipality_mask(m, where)
            if domain != "total":
                if domain not in self.data.domains:
                    raise NeedsAnalysisError(f"domain {domain!r} is not in the audit data", where=where,
                                             expected="the domain variables of the estimates")
                mask = mask & (self.data.domains[domain] == value)
            self._masks[key] = mask
        return self._masks[key]

    def check(self, value, size: int, what: str, where: str) -> bool:
        """True when ``value`` is a number (a published or known count); an error when it is not ``size``."""
        if value is None or not np.isfinite(value):
            return False
        if int(round(float(value))) != size:
            raise NeedsAnalysisError(f"{what} is {int(round(float(value)))} but the respondent data give {size}",
                                     where=where, expected="the respondent data the tables were computed from",
                                     fix="build the audit data from the same weighted responses and catalogue")
        return True

    def threshold(self, sensitive: bool) -> float:
        return self.min_count_sensitive if sensitive else self.min_count

    def add(self, published: bool, source: str, row: int, label: str, mask: np.ndarray, hideable: bool = False):
        cell = Cell(source, row, label, _bits(mask), int(mask.sum()), hideable)
        (self.published if published else self.hidden).append(cell)

    def count(self, source: str, row: int, label: str, mask: np.ndarray, value, *, shown: bool, hideable: bool,
              threshold: float, what: str, where: str) -> None:
        """One count: published when ``shown`` and a number, else hidden when below ``threshold``.

        A count that would be shown but is not a number was withheld by the linked-cell protection
        (:attr:`withheld`), except a base below ``min_count``, which the primary rules never publish.
        """
        size = int(mask.sum())
        known = self.check(value, size, what, where)
        if shown and known:
            self.add(True, source, row, label, mask, hideable)
            return
        if shown and (source not in BASE_SOURCES or size >= self.min_count):
            self.withheld[source] += 1
        if size < threshold:
            self.add(False, source, row, label, mask)


def _column(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)


def _flags(df: pd.DataFrame, col: str) -> np.ndarray:
    return as_bool(df[col]) if col in df.columns else np.zeros(len(df), dtype=bool)


def _estimate_cells(b: _Builder, est: pd.DataFrame) -> None:
    require_columns(est, _REQUIRED, where="disclosure audit (estimates)",
                    expected="the estimates table (" + ", ".join(_REQUIRED) + ")")
    mun = est["municipality"].astype(str).to_numpy()
    ind = est["indicator"].astype(str).to_numpy()
    dom = est["domain"].astype(str).to_numpy()
    val = est["domain_value"].astype(str).to_numpy()
    is_prop = (est["kind"].astype(str) == "proportion").to_numpy()
    n, count, sens = _column(est, "n"), _column(est, "count"), _flags(est, "sensitive")
    small = est["flag"].astype(str).isin(BASE_WITHHELD_FLAGS).to_numpy() if "flag" in est.columns else np.zeros(
        len(est), dtype=bool)  # bases given as "n < min_n"
    for i in range(len(est)):
        where = f"estimates row {i + 1} ({mun[i]}, {ind[i]}, {dom[i]} = {val[i]})"
        k = b.data.index(ind[i], where)
        base = b.cell_mask(mun[i], dom[i], val[i], where) & b.data.in_base[k]
        label = f"{mun[i]} · {ind[i]} · " + ("total" if dom[i] == "total" else f"{dom[i]} = {val[i]}")
        b.count("estimates", i, f"{label}: base n", base, n[i], shown=not small[i], hideable=True,
                threshold=b.min_count, what="n", where=where)
        if is_prop[i]:
            b.count("estimates", i, f"{label}: count", base & b.data.is_one[k], count[i], shown=False,
                    hideable=False, threshold=b.threshold(sens[i]), what="count", where=where)


def _comparison_cells(b: _Builder, cmp: pd.DataFrame) -> None:
    require_columns(cmp, ("municipality", "indicator", "n", "kind"), where="disclosure audit (comparison)",
                    expected="the comparison table of compare_municipalities")
    mun = cmp["municipality"].astype(str).to_numpy()
    ind = cmp["indicator"].astype(str).to_numpy()
    is_prop = (cmp["kind"].astype(str) == "proportion").to_numpy()
    sens = _flags(cmp, "sensitive")
    small = cmp["flag"].astype(str).isin(BASE_WITHHELD_FLAGS).to_numpy() if "flag" in cmp.columns else np.zeros(
        len(cmp), dtype=bool)
    compared = [m for m in dict.fromkeys(mun) if m != "all"]
    where = "disclosure audit (comparison)"
    pooled = np.zeros(b.data.size, dtype=bool)
    for m in compared:
        pooled |= b.municipality_mask(m, where)
    cols = {c: _column(cmp, c) for c in ("n", "count", "rest_n", "rest_count")}
    for i in range(len(cmp)):
        where = f"comparison row {i + 1} ({mun[i]}, {ind[i]})"
        k = b.data.index(ind[i], where)
        groups = [("", pooled if mun[i] == "all" else b.municipality_mask(mun[i], where))]
        if mun[i] != "all":
            groups.append(("rest_", pooled & ~groups[0][1]))
        for prefix, mask in groups:
            who = ("all municipalities" if mun[i] == "all" else
                   mun[i] if not prefix else f"municipalities other than {mun[i]}")
            label = f"comparison · {ind[i]} · {who}"
            base = mask & b.data.in_base[k]
            own = not prefix and mun[i] == b.m and not small[i]
            b.count("comparison", i, f"{label}: base n", base, cols[f"{prefix}n"][i], shown=own, hideable=True,
                    threshold=b.min_count, what=f"{prefix}n", where=where)
            if is_prop[i]:
                b.count("comparison", i, f"{label}: count", base & b.data.is_one[k], cols[f"{prefix}count"][i],
                        shown=False, hideable=False, threshold=b.threshold(sens[i]), what=f"{prefix}count",
                        where=where)


def _weighting_cells(b: _Builder, weights_report: Mapping) -> None:
    where = "disclosure audit (weights report)"
    own = b.municipality_mask(b.m, where)
    summary = weights_report.get("summary")
    if isinstance(summary, pd.DataFrame) and "n" in summary.columns and len(summary):
        b.check(float(summary["n"].iloc[0]), int(own.sum()), "the number of respondents", where)
        b.add(True, "summary", 0, f"{b.m} · respondents analysed", own)
    margins = weights_report.get("margins")
    if not isinstance(margins, pd.DataFrame) or not len(margins):
        return
    if b.m not in b.data.municipalities_with_cells:
        raise NeedsAnalysisError(f"no weighting cells of {b.m!r} in the audit data", where=where,
                                 expected="the cells of the weights (WeightResult.cells) for its sample counts",
                                 fix="build the audit data with cells={municipality: WeightResult.cells}")
    sample_n = _column(margins, "sample_n")
    for i, (var, cat) in enumerate(zip(margins["variable"].astype(str), margins["category"].astype(str))):
        if var not in b.data.cells:
            raise NeedsAnalysisError(f"weighting variable {var!r} is not in the audit data", where=where,
                                     expected="the cells of every weighting variable")
        mask = own & (b.data.cells[var] == cat)
        b.count("margins", i, f"{b.m} · sample in weighting cell {var} = {cat}", mask, sample_n[i], shown=True,
                hideable=True, threshold=b.min_count, what=f"sample_n of {var} = {cat}", where=where)


def _processing_cells(b: _Builder, summary: pd.DataFrame) -> None:
    where = "disclosure audit (row accounting)"
    own = b.municipality_mask(b.m, where)
    steps = summary["step"].astype(str).to_numpy()
    reasons = summary["reason"].astype(str).to_numpy()
    n = _column(summary, "n")
    for i in range(len(summary)):
        if steps[i] == "kept":
            b.check(n[i], int(own.sum()), "the number of analysed respondents", where)
            b.add(True, "processing", i, f"{b.m} · analysed (table 6)", own)
        elif steps[i] in CLEANING_STEPS:
            if b.m not in b.data.municipalities_with_log:
                raise NeedsAnalysisError(f"no cleaning log of {b.m!r} in the audit data", where=where,
                                         expected="the cleaning log, for the counts of changed and flagged "
                                                  "respondents", fix="build the audit data with logs=")
            rows, positions = b.data.cleaning.get((b.m, steps[i], reasons[i]), (0, np.zeros(0, dtype=np.int64)))
            if len(np.unique(positions)) != rows:
                b.check(n[i], rows, f"the count of {steps[i]} {reasons[i]}", where)
                continue  # some log rows are of removed respondents or repeat one: a count of values
            mask = np.zeros(b.data.size, dtype=bool)
            mask[positions] = True
            b.count("processing", i, f"{b.m} · {steps[i]} by {reasons[i]} (table 6)", mask, n[i], shown=True,
                    hideable=True, threshold=b.min_count, what=f"the count of {steps[i]} {reasons[i]}", where=where)


def pack_cells(
    estimates: pd.DataFrame,
    data: AuditData,
    *,
    municipality: str,
    weights_report: Mapping | None = None,
    comparison: pd.DataFrame | None = None,
    cleaning_summary: pd.DataFrame | None = None,
    rules: DisclosureRules = DEFAULT_RULES,
) -> tuple[list[Cell], list[Cell], dict[str, int]]:
    """The published and the hidden counts of one pack, as sets of respondents.

    Parameters
    ----------
    estimates : DataFrame
        The estimates table as the writers print it (after disclosure and
        masking: a NaN ``n`` is a base not published).
    data : AuditData
        The respondents (:func:`~needs_analysis.disclosure.audit_data`).
    municipality : str
        The pack's municipality.
    weights_report : WeightsReport or dict, optional
        Weights report (``summary`` n, ``margins`` sample counts) as printed.
    comparison : DataFrame, optional
        The comparison table as printed (after disclosure and masking).
    cleaning_summary : DataFrame, optional
        Row accounting (``step, reason, n``), table 6.
    rules : DisclosureRules, default DEFAULT_RULES
        The thresholds (``min_count`` and ``min_count_sensitive`` are used).

    Returns
    -------
    (list of Cell, list of Cell, dict of str to int)
        Published cells, hidden cells, and by source table the number of
        counts not published although they are neither a base given as
        "n < min_n" nor below ``min_count``: those the linked-cell protection
        withheld.

    Raises
    ------
    NeedsAnalysisError
        When a table names a municipality, indicator, domain or weighting
        variable the audit data lack, or a count differs from the set the
        respondent data give: the audit never checks tables against other
        data than theirs.
    """
    b = _Builder(data, str(municipality), rules)
    b.municipality_mask(b.m, "disclosure audit")
    _estimate_cells(b, estimates)
    if comparison is not None:
        _comparison_cells(b, comparison)
    if weights_report is not None:
        _weighting_cells(b, weights_report)
    if cleaning_summary is not None:
        _processing_cells(b, cleaning_summary)
    return b.published, b.hidden, dict(sorted(b.withheld.items()))


def audit_pack(
    estimates: pd.DataFrame,
    data: AuditData,
    *,
    municipality: str,
    weights_report: Mapping | None = None,
    comparison: pd.DataFrame | None = None,
    cleaning_summary: pd.DataFrame | None = None,
    rules: DisclosureRules = DEFAULT_RULES,
) -> AuditResult:
    """Check that nothing a pack publishes reveals a count it hides.

    Parameters
    ----------
    estimates, data, municipality, weights_report, comparison, cleaning_summary, rules
        As in :func:`pack_cells`: the tables exactly as the pack prints them.

    Returns
    -------
    AuditResult
        ``leaks`` lists every hidden count revealed (see the module
        docstring for the three patterns).

    Raises
    ------
    NeedsAnalysisError
        See :func:`pack_cells`.
    """
    published, hidden, withheld = pack_cells(estimates, data, municipality=municipality,
                                             weights_report=weights_report, comparison=comparison,
                                             cleaning_summary=cleaning_summary, rules=rules)
    return audit_result(str(municipality), data, published, hidden, withheld, find_leaks(published, hidden))


def audit_result(municipality: str, data: AuditData, published: Sequence[Cell], hidden: Sequence[Cell],
                 withheld: Mapping[str, int], leaks: Sequence[Leak]) -> AuditResult:
    """Summarise the cells and leaks of one audit."""
    return AuditResult(municipality=municipality, respondents=data.size, published_cells=len(published),
                       published_sets=len({c.bits for c in published}), hidden_cells=len(hidden),
                       hidden_sets=len({c.bits for c in hidden}), leaks=tuple(leaks),
                       withheld=tuple(withheld.items()))
