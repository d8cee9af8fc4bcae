"""Who is counted where: the respondent-level input of the disclosure audit.

Every count a pack publishes or hides counts a set of respondents: the base
of an estimate (respondents of one municipality in the indicator's base and
in one domain cell), its numerator (those of the base for whom the indicator
holds), a sample count of the weighting report (respondents in one weighting
cell), a cleaning count (respondents a check flagged). :class:`AuditData`
holds, for every respondent of the audit universe (all respondents of the
municipalities compared), what these sets are made of, so that
:mod:`._audit` can build each set as a bitset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import NeedsAnalysisError

__all__ = ["AuditData", "audit_data", "CLEANING_STEPS"]

#: Row-accounting steps whose counts are counts of (analysed) respondents' log entries, by check id.
CLEANING_STEPS: dict[str, tuple[str, ...]] = {"changed": ("set_missing", "change_value"), "flagged": ("flag",)}


@dataclass(frozen=True, eq=False)
class AuditData:
    """Respondent-level membership of every count a pack can publish or hide.

    Attributes
    ----------
    municipality : ndarray of str, shape (U,)
        Municipality id of each respondent of the audit universe.
    indicators : tuple of str
        Indicator ids, in the order of the rows of ``in_base`` and ``is_one``.
    in_base : ndarray of bool, shape (K, U)
        Respondent in the indicator's base (universe holds, base variables
        answered).
    is_one : ndarray of bool, shape (K, U)
        In the base and the indicator holds (value 1): the numerator of a
        proportion.
    domains : dict of str to ndarray
        Domain variable → each respondent's category as text (``None`` where
        missing), as the estimates' ``domain_value``.
    cells : dict of str to ndarray
        Weighting variable → each respondent's weighting cell (collapsed
        category as in the weights report's margins; ``None`` where the
        respondent's municipality has no cells).
    cleaning : dict
        ``(municipality, step, check_id)`` → ``(log_rows, positions)``: the
        number of cleaning-log rows the row accounting counts for that check
        (steps in :data:`CLEANING_STEPS`) and the universe positions of the
        analysed respondents they name.
    municipalities_with_cells, municipalities_with_log : frozenset of str
        Municipalities whose weighting cells / cleaning log were given.
    """

    municipality: np.ndarray
    indicators: tuple[str, ...]
    in_base: np.ndarray
    is_one: np.ndarray
    domains: dict = field(default_factory=dict)
    cells: dict = field(default_factory=dict)
    cleaning: dict = field(default_factory=dict)
    municipalities_with_cells: frozenset = frozenset()
    municipalities_with_log: frozenset = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_rows", {k: i for i, k in enumerate(self.indicators)})

    @property
    def size(self) -> int:
        """Number of respondents in the audit universe."""
        return int(self.municipality.size)

    def index(self, indicator: str, where: str) -> int:
        """Row of ``indicator`` in ``in_base`` / ``is_one``; an error naming ``where`` if absent."""
        try:
            return self._rows[indicator]
        except KeyError:
            raise NeedsAnalysisError(f"indicator {indicator!r} is not in the respondent data of the audit",
                                     where=where, expected="the indicators the tables were computed with",
                                     fix="build the audit data with the same catalogue (audit_data(catalogue=))"
                                     ) from None


def _as_text(values: pd.Series) -> np.ndarray:
    """Category labels as the estimates write them (``str``), ``None`` where missing."""
    return values.astype(str).where(values.notna(), None).to_numpy(dtype=object)


def _indicator_values(frame: pd.DataFrame, catalogue, comparison_catalogue) -> pd.DataFrame:
    """Respondent indicators of ``catalogue``, plus those of ``comparison_catalogue`` it lacks.

    Each catalogue is evaluated on its own: a catalogue's composite indicators (the number of
    unmet needs) count its own headline indicators.
    """
    from ..indicators import respondent_indicators

    own = respondent_indicators(frame, catalogue)
    if comparison_catalogue is None:
        return own
    extra = tuple(i for i in comparison_catalogue if i.id not in set(own.columns))
    if not extra:
        return own
    other = respondent_indicators(frame, comparison_catalogue)
    return pd.concat([own, other[[i.id for i in extra]]], axis=1)


def _cleaning_sets(m: str, log: pd.DataFrame, ids: pd.Series, offset: int) -> dict:
    missing = [c for c in ("respondent_id", "check_id", "action") if c not in log.columns]
    if missing:
        raise NeedsAnalysisError("cleaning log without column(s) " + ", ".join(missing),
                                 where=f"audit_data(logs[{m!r}])",
                                 expected="the cleaning log (respondent_id, check_id, action, ...)")
    position = {str(r): offset + i for i, r in enumerate(ids.astype(str))}
    out = {}
    for step, actions in CLEANING_STEPS.items():
        rows = log[log["action"].astype(str).isin(actions)]
        for check, grp in rows.groupby(rows["check_id"].astype(str), sort=False):
            pos = [position[r] for r in grp["respondent_id"].astype(str) if r in position]
            out[(m, step, check)] = (len(grp), np.asarray(pos, dtype=np.int64))
    return out


def audit_data(
    frames: Mapping[str, pd.DataFrame],
    *,
    catalogue: Sequence | None = None,
    comparison_catalogue: Sequence | None = None,
    domains: Sequence[str] | None = None,
    cells: Mapping[str, pd.DataFrame | None] | None = None,
    logs: Mapping[str, pd.DataFrame | None] | None = None,
) -> AuditData:
    """Build the respondent-level input of the disclosure audit.

    Parameters
    ----------
    frames : mapping of str to DataFrame
        Municipality id → weighted responses (analysis format): every
        municipality of the comparison, or the pack's one alone when the pack
        has no comparison.
    catalogue : sequence of Indicator, optional
        The catalogue the estimates were computed with (default: packaged).
    comparison_catalogue : sequence of Indicator, optional
        The catalogue of the comparison table when it differs (the pipeline's
        comparison always covers the packaged catalogue): its indicators
        that ``catalogue`` lacks are added, evaluated with it.
    domains : sequence of str, optional
        Domain variables (default :data:`needs_analysis.indicators.DOMAINS`);
        those absent from the data are left out (an estimate by one of them
        then fails the audit with a clear error).
    cells : mapping of str to DataFrame, optional
        Municipality → ``WeightResult.cells`` (weighting cells, same index as
        the frame): the sets of the weights report's sample counts.
    logs : mapping of str to DataFrame, optional
        Municipality → cleaning log (``CleanResult.log``): the sets of the
        row accounting's counts of changed and flagged respondents.

    Returns
    -------
    AuditData

    Raises
    ------
    NeedsAnalysisError
        No frames, weighting cells or a log that do not belong to their
        frame, or an indicator that cannot be evaluated.
    """
    from ..indicators import DOMAINS

    if not isinstance(frames, Mapping) or not frames:
        raise NeedsAnalysisError("no respondent data", where="audit_data(frames=)",
                                 expected="{municipality id: weighted responses}")
    domains = tuple(DOMAINS if domains is None else domains)
    muns, values, dom_parts, cell_parts, cleaning = [], [], {d: [] for d in domains}, {}, {}
    offset = 0
    for m, frame in frames.items():
        m = str(m)
        vals = _indicator_values(frame, catalogue, comparison_catalogue)
        values.append(vals.reset_index(drop=True))
        muns.append(np.full(len(frame), m, dtype=object))
        for d in domains:
            dom_parts[d].append(_as_text(frame[d]) if d in frame.columns else None)
        cell = (cells or {}).get(m)
        if cell is not None:
            if len(cell) != len(frame) or not cell.index.equals(frame.index):
                raise NeedsAnalysisError(f"weighting cells of {m!r} do not match its responses",
                                         where="audit_data(cells=)", expected="WeightResult.cells of the same data")
            cell_parts[m] = cell
        log = (logs or {}).get(m)
        if log is not None:
            if "respondent_id" not in frame.columns:
                raise NeedsAnalysisError(f"responses of {m!r} have no respondent_id", where="audit_data(logs=)",
                                         expected="analysis-format responses with respondent_id")
            cleaning.update(_cleaning_sets(m, log, frame["respondent_id"], offset))
        offset += len(frame)
    table = pd.concat(values, ignore_index=True)
    mun = np.concatenate(muns)
    arr = table.to_numpy(dtype=float, na_value=np.nan).T
    dom = {d: np.concatenate(parts) for d, parts in dom_parts.items() if all(p is not None for p in parts)}
    variables = list(dict.fromkeys(v for c in cell_parts.values() for v in c.columns))
    cell_arrays = {}
    for v in variables:
        col = np.full(offset, None, dtype=object)
        start = 0
        for m, frame in frames.items():
            part = cell_parts.get(str(m))
            if part is not None and v in part.columns:
                col[start:start + len(frame)] = _as_text(part[v])
            start += len(frame)
        cell_arrays[v] = col
    return AuditData(municipality=mun, indicators=tuple(str(c) for c in table.columns), in_base=~np.isnan(arr),
                     is_one=arr == 1, domains=dom, cells=cell_arrays, cleaning=cleaning,
                     municipalities_with_cells=frozenset(cell_parts),
                     municipalities_with_log=frozenset(str(m) for m in (logs or {}) if (logs or {})[m] is not None))
