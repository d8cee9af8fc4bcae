"""Design structure: validation of the design columns, weights, stages and the variance plan."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import NeedsAnalysisError
from ._domains import as_list
from ._plan import Stage, VariancePlan

__all__ = ["DesignStructure", "build_structure"]


@dataclass(frozen=True)
class DesignStructure:
    """Weights and sampling structure of a design.

    Attributes
    ----------
    w : ndarray
        Analysis weights (read-only).
    plan : VariancePlan
        Stages used for Taylor variances.
    unit_of_row : ndarray of int
        Finest sampling unit used by the plan, per row.
    psu1, strata1 : ndarray of int
        First-stage PSU and stratum codes per row.
    n_stages : int
        Number of sampling stages declared.
    has_strata : bool
        Whether strata were given.
    rows_are_units : bool
        One variance stage whose clusters are the rows (no PSUs, or one row per PSU).
    """

    w: np.ndarray
    plan: VariancePlan
    unit_of_row: np.ndarray
    psu1: np.ndarray
    strata1: np.ndarray
    n_stages: int
    has_strata: bool
    rows_are_units: bool


def _need_columns(df: pd.DataFrame, names: list[str], role: str) -> None:
    for c in names:
        if c not in df.columns:
            raise NeedsAnalysisError(
                f"column {c!r} not found",
                where=f"SurveyDesign({role}=)",
                expected=f"one of the data columns ({', '.join(map(str, list(df.columns)[:12]))}...)",
                fix=f"check the spelling of the {role} column",
            )


def _no_missing(df: pd.DataFrame, names: list[str], role: str) -> None:
    for c in names:
        nmiss = int(df[c].isna().sum())
        if nmiss:
            raise NeedsAnalysisError(
                f"{nmiss} missing value(s) in {role} column {c!r}",
                where=f"SurveyDesign({role}=)",
                expected=f"a {role} for every row",
                fix="fill in the missing design information or drop those rows before building the design",
            )


def _codes(frame: pd.DataFrame) -> np.ndarray:
    """Integer codes of the row-wise combinations of the columns (first-appearance order)."""
    if frame.shape[1] == 1:
        return pd.factorize(frame.iloc[:, 0])[0].astype(np.int64)
    keys = [pd.factorize(frame.iloc[:, j])[0].astype(np.int64) for j in range(frame.shape[1])]
    combined = np.zeros(len(frame), dtype=np.int64)
    for k in keys:
        combined = combined * (int(k.max()) + 1 if k.size else 1) + k
    return pd.factorize(combined)[0].astype(np.int64)


def _first_per_code(codes: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    out = np.empty(size, dtype=values.dtype)
    out[codes[::-1]] = values[::-1]
    return out


def build_structure(df: pd.DataFrame, weights, strata, psu, fpc, nest: bool, lonely_psu: str) -> DesignStructure:
    """Validate the design columns and build weights and the variance plan (R ``svydesign``).

    Parameters are those of :class:`~needs_analysis.design.SurveyDesign`; ``df`` is already a copy.

    Returns
    -------
    DesignStructure

    Raises
    ------
    NeedsAnalysisError
        Missing or non-numeric columns, missing design values, bad weights or
        fpc, PSUs in several strata without ``nest``, a lonely PSU under ``fail``.
    """
    strata_cols, psu_cols, fpc_cols = as_list(strata), as_list(psu), as_list(fpc)
    w_cols = [] if weights is None else [weights]
    for names, role in ((w_cols, "weights"), (strata_cols, "strata"), (psu_cols, "psu"), (fpc_cols, "fpc")):
        _need_columns(df, names, role)
        _no_missing(df, names, role)
    n_stages = max(len(psu_cols), 1)
    if len(fpc_cols) > n_stages:
        raise NeedsAnalysisError(
            f"{len(fpc_cols)} fpc columns for {n_stages} sampling stage(s)",
            where="SurveyDesign(fpc=)",
            expected="at most one fpc column per psu stage",
            fix="give psu=[...] for every stage with an fpc",
        )
    data = df
    n = len(data)
    # ---- stage-wise cluster and stratum codes (R svydesign.default)
    strat1 = _codes(data[strata_cols]) if strata_cols else np.zeros(n, dtype=np.int64)
    ids: list[np.ndarray] = []
    for k in range(n_stages):
        if psu_cols:
            cols = psu_cols[: k + 1]
            frame = data[cols].copy()
            if nest and strata_cols:
                frame.insert(0, "__stratum__", strat1)
            ids.append(_codes(frame))
        else:
            ids.append(np.arange(n, dtype=np.int64))
    if strata_cols and not nest:
        ncl = int(ids[0].max()) + 1
        per = np.unique(np.stack([ids[0], strat1], axis=1), axis=0)
        if per.shape[0] != ncl:
            bad = np.bincount(per[:, 0], minlength=ncl)
            first = int(np.nonzero(bad > 1)[0][0])
            lab = data[psu_cols[0]].to_numpy()[ids[0] == first][0] if psu_cols else first
            raise NeedsAnalysisError(
                f"PSU {lab!r} appears in more than one stratum",
                where="SurveyDesign(psu=)",
                expected="each PSU within a single stratum",
                fix="use nest=True if PSU numbers restart in every stratum",
            )
    if int(ids[0].max()) == 0 and not (nest and strata_cols):
        raise NeedsAnalysisError(
            "the design has only one primary sampling unit",
            where="SurveyDesign(psu=)",
            expected="at least two PSUs",
            fix="check the psu column, or leave psu=None for a weights-only design",
        )
    stratum_rows = [strat1]
    for k in range(1, n_stages):
        stratum_rows.append(_codes(pd.DataFrame({"s": strat1, "c": ids[k - 1]})))
    # ---- fpc: population sizes per stage
    sampsize = []  # sampled clusters of each row's stratum, per stage (for the fpc)
    for k in range(n_stages if fpc_cols else 0):
        ncl = int(ids[k].max()) + 1
        c2s = _first_per_code(ids[k], stratum_rows[k], ncl)
        npsu = np.bincount(c2s, minlength=int(stratum_rows[k].max()) + 1)
        sampsize.append(npsu[stratum_rows[k]].astype(float))
    popsize: list[np.ndarray] = []
    if fpc_cols:
        vals = []
        for c in fpc_cols:
            s = data[c]
            if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
                raise NeedsAnalysisError(
                    f"fpc column {c!r} is not numeric (dtype {s.dtype})",
                    where="SurveyDesign(fpc=)",
                    expected="population sizes or sampling fractions",
                    fix="convert the column to numbers",
                )
            vals.append(s.to_numpy(dtype=float))
        allv = np.concatenate(vals)
        if np.any(allv <= 0):
            raise NeedsAnalysisError(
                "fpc has zero or negative values",
                where="SurveyDesign(fpc=)",
                expected="population sizes (>= 1) or sampling fractions (0-1]",
                fix="check the fpc column",
            )
        as_size = bool(np.all(allv >= 1) and np.any(allv > 1))
        if not as_size and not np.all(allv <= 1):
            raise NeedsAnalysisError(
                "fpc mixes population sizes (>1) and sampling fractions (<1)",
                where="SurveyDesign(fpc=)",
                expected="all fpc >= 1 or all fpc <= 1",
                fix="give the fpc either as population sizes or as fractions",
            )
        for k, v in enumerate(vals):
            pop = v if as_size else sampsize[k] / v
            if np.any(pop < sampsize[k] - 1e-9):
                i = int(np.nonzero(pop < sampsize[k] - 1e-9)[0][0])
                raise NeedsAnalysisError(
                    f"fpc implies more than 100% sampling at stage {k + 1} (row {i}: population "
                    f"{pop[i]:g}, sample {sampsize[k][i]:g})",
                    where="SurveyDesign(fpc=)",
                    expected="population size >= number of sampled units",
                    fix="check the fpc column",
                )
            h = stratum_rows[k]
            nh = int(h.max()) + 1
            lo = np.full(nh, np.inf)
            hi = np.full(nh, -np.inf)
            np.minimum.at(lo, h, pop)
            np.maximum.at(hi, h, pop)
            if np.any(hi - lo > 1e-9 * np.maximum(1, hi)):
                raise NeedsAnalysisError(
                    f"fpc column {fpc_cols[k]!r} varies within a stratum at stage {k + 1}",
                    where="SurveyDesign(fpc=)",
                    expected="one population size per stratum",
                    fix="check the fpc and strata columns",
                )
            popsize.append(pop)
    # ---- weights
    if weights is None:
        if fpc_cols and len(fpc_cols) == n_stages:
            w = np.prod([popsize[k] / sampsize[k] for k in range(n_stages)], axis=0)
        elif fpc_cols:
            raise NeedsAnalysisError(
                "weights cannot be derived from an fpc that does not cover every stage",
                where="SurveyDesign(weights=)",
                expected="a weight column",
                fix="pass weights=",
            )
        else:
            w = np.ones(n)
    else:
        s = data[weights]
        if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
            raise NeedsAnalysisError(
                f"weight column {weights!r} is not numeric (dtype {s.dtype})",
                where="SurveyDesign(weights=)",
                expected="positive numbers",
                fix="convert the weights to numbers (decimal point, not comma)",
            )
        w = s.to_numpy(dtype=float)
        if np.any(~np.isfinite(w)):
            raise NeedsAnalysisError(
                f"weight column {weights!r} has infinite values",
                where="SurveyDesign(weights=)",
                expected="finite positive numbers",
                fix="check the weighting step",
            )
        if np.any(w < 0):
            raise NeedsAnalysisError(
                f"{int(np.sum(w < 0))} negative weight(s) in {weights!r}",
                where="SurveyDesign(weights=)",
                expected="weights >= 0",
                fix="check the weighting step",
            )
        if not np.any(w > 0):
            raise NeedsAnalysisError(
                f"all weights in {weights!r} are zero",
                where="SurveyDesign(weights=)",
                expected="some positive weights",
                fix="check the weighting step",
            )
    w = np.asarray(w, dtype=float)
    w.setflags(write=False)
    # ---- variance plan: later stages only after a stage with an fpc (R svyrecvar)
    used = 1
    while used < n_stages and len(popsize) >= used:
        used += 1
    unit = ids[used - 1]
    n_units = int(unit.max()) + 1
    stages = []
    mult_row = np.ones(n)
    for k in range(used):
        ncl = int(ids[k].max()) + 1
        h_row = stratum_rows[k]
        nh = int(h_row.max()) + 1
        c2s = h_row if not psu_cols else _first_per_code(ids[k], h_row, ncl)  # without PSUs a row is a cluster
        npsu = np.bincount(c2s, minlength=nh)
        if k < len(popsize):
            pop_h = _first_per_code(h_row, popsize[k], nh)
            f = np.where(np.isinf(pop_h), 1.0, (pop_h - npsu) / pop_h)
        else:
            f = np.ones(nh)
        parent = np.zeros(nh, dtype=np.int64) if k == 0 else _first_per_code(h_row, ids[k - 1], nh)
        labels = _stratum_labels(data, strata_cols if k == 0 else psu_cols[k - 1:k], h_row, nh, k)
        stage = Stage(
            # the finest units are this stage's clusters (codes in order of first appearance) at the last stage
            unit_to_cluster=np.arange(n_units) if k == used - 1 else _first_per_code(unit, ids[k], n_units),
            cluster_to_stratum=c2s,
            stratum_parent=parent,
            n_psu=npsu,
            f=f,
            multiplier=np.ones(nh) if k == 0 else _first_per_code(h_row, mult_row, nh),
            labels=labels,
        )
        if lonely_psu == "fail" and stage.lonely().any():
            lab = stage.labels[np.nonzero(stage.lonely())[0][0]]
            if k == 0:
                msg, where, exp = (
                    f"stratum {lab} has only one PSU",
                    "SurveyDesign(strata=)",
                    "two or more PSUs per stratum",
                )
            else:
                msg = f"{lab} has only one sampled unit at stage {k + 1} (and fpc says it is not a census)"
                where, exp = "SurveyDesign(psu=)", "two or more sampled units in every cluster"
            raise NeedsAnalysisError(
                msg,
                where=where,
                expected=exp,
                fix='merge it with a similar stratum or set lonely_psu="adjust" (or remove, average, certainty)',
            )
        stages.append(stage)
        if k < len(popsize):
            mult_row = mult_row * sampsize[k] / popsize[k]
    plan = VariancePlan(tuple(stages), n_units, lonely_psu)
    rows_are_units = used == 1 and (not psu_cols or (n_units == n and np.array_equal(unit, np.arange(n))))
    return DesignStructure(w, plan, unit, ids[0], strat1, n_stages, bool(strata_cols), rows_are_units)


def _stratum_labels(data: pd.DataFrame, columns: list[str], h_row: np.ndarray, nh: int, stage: int) -> np.ndarray:
    """Label of every stratum for messages: ``"a/b"`` of the stratum columns, ``"PSU p"`` at later stages.

    Only the first row of each stratum is read.
    """
    if not columns:
        return np.full(nh, "(all)", dtype=object)
    first = np.empty(nh, dtype=np.int64)
    first[h_row[::-1]] = np.arange(h_row.size)[::-1]
    parts = [data[c].iloc[first].astype(str).to_numpy(dtype=object) for c in columns]
    joined = parts[0]
    for p in parts[1:]:
        joined = joined + "/" + p
    return joined if stage == 0 else np.array([f"PSU {p}" for p in joined], dtype=object)
