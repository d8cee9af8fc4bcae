"""Re-identification risk of a microdata file, as sdcMicro's ``measure_risk`` defines it.

For each record ``i``, the sample frequency ``f_i`` is the number of records
sharing its key values and ``F_i`` the sum of their weights, the estimated
number of people in the population with those values. A missing key value
(a suppressed cell) stands for any value: the record counts every record that
matches it on its other keys, as sdcMicro's ``freqCalc`` does; a record whose
keys are all missing has risk 0. The individual risk is the Benedetti-Franconi
approximation sdcMicro's ``indivRisk(method = "approx")`` computes, with
``p = f/F``:

* ``f = 1``: ``r = p / (1 - p) * log(1 / p)``
* ``f = 2``: ``r = p / (1 - p) - (p / (1 - p))**2 * log(1 / p)``
* ``f > 2``: ``r = p / (f - (1 - p))``

(each tends to ``1/f`` as ``p`` tends to 1, the value used when ``F <= f``). The
global risk is the expected number of re-identifications, the sum of the
individual risks (``global_risk_ER``), also as a share of the records
(``global_risk``). A record violates k-anonymity when ``f < k``.

References
----------
Benedetti, R. and Franconi, L. (1998). Statistical and technological solutions
for controlled data dissemination. Pre-proceedings of New Techniques and
Technologies for Statistics, 1, 225-232.

Franconi, L. and Polettini, S. (2004). Individual risk estimation in
mu-Argus: a review. Privacy in Statistical Databases, LNCS 3050, 262-272.

Templ, M., Kowarik, A. and Meindl, B. (2015). Statistical disclosure control
for micro-data using the R package sdcMicro. Journal of Statistical Software
67(4), 1-36. doi:10.18637/jss.v067.i04 (``measure_risk``, ``freqCalc``,
``indivRisk``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["RiskMeasures", "risk_measures", "individual_risk", "key_frequencies"]

_CHUNK = 512


@dataclass(frozen=True)
class RiskMeasures:
    """Risk measures of a file on its key variables.

    Attributes
    ----------
    records : DataFrame
        Per record: ``fk`` (sample frequency), ``Fk`` (weighted population
        frequency), ``risk`` (individual risk).
    k : int
        The k of the violation count.
    expected_reidentifications : float
        Sum of the individual risks (sdcMicro ``global_risk_ER``).
    global_risk : float
        ``expected_reidentifications / n`` (sdcMicro ``global_risk``).
    violating_k : int
        Records with ``fk < k``.
    max_risk : float
        The largest individual risk.
    """

    records: pd.DataFrame
    k: int
    expected_reidentifications: float
    global_risk: float
    violating_k: int
    max_risk: float

    def summary(self) -> dict[str, float]:
        """The global measures by name (for the report's json)."""
        return {"n": len(self.records), "k": self.k, "expected_reidentifications": self.expected_reidentifications,
                "global_risk": self.global_risk, "violating_k": self.violating_k, "max_risk": self.max_risk}


def key_frequencies(keys: pd.DataFrame, weights) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample and weighted population frequencies of each record's key values.

    Parameters
    ----------
    keys : DataFrame
        The key variables; NaN is a suppressed value (matches any value).
    weights : array-like
        Sampling weights, one per record.

    Returns
    -------
    fk, Fk : ndarray
        Per record: the records matching it on its non-missing keys, and their weight sum.
    all_missing : ndarray of bool
        Records whose keys are all missing.
    """
    codes = np.column_stack([pd.factorize(keys[c], use_na_sentinel=True)[0] for c in keys.columns]) \
        if len(keys.columns) else np.zeros((len(keys), 0), dtype=int)
    w = np.asarray(weights, dtype=float)
    n = len(keys)
    fk, Fk = np.empty(n), np.empty(n)
    for start in range(0, n, _CHUNK):
        block = codes[start:start + _CHUNK]
        match = np.ones((len(block), n), dtype=bool)
        for j in range(codes.shape[1]):
            own = block[:, j][:, None]
            match &= (own < 0) | (own == codes[:, j][None, :])
        fk[start:start + len(block)] = match.sum(axis=1)
        Fk[start:start + len(block)] = match @ w
    return fk, Fk, (codes < 0).all(axis=1) if codes.shape[1] else np.ones(n, dtype=bool)


def individual_risk(fk, Fk) -> np.ndarray:
    """The Benedetti-Franconi approximation of the individual risk (sdcMicro ``indivRisk``, ``approx``).

    Parameters
    ----------
    fk, Fk : array-like
        Sample frequencies (>= 1) and weighted population frequencies.

    Returns
    -------
    ndarray
        The risk of each record; ``1/fk`` where ``Fk <= fk`` (the formulas' limit as ``p = fk/Fk`` -> 1).

    Examples
    --------
    >>> individual_risk([1, 2, 4], [10.0, 10.0, 10.0]).round(6).tolist()
    [0.255843, 0.14941, 0.117647]
    """
    f, F = np.asarray(fk, dtype=float), np.asarray(Fk, dtype=float)
    out = 1.0 / f
    ok = F > f
    p = np.where(ok, f / np.where(ok, F, 1.0), 0.5)
    odds, log_inv = p / (1 - p), np.log(1 / p)
    r1 = odds * log_inv
    r2 = odds - odds ** 2 * log_inv
    r3 = p / (f - (1 - p))
    risk = np.where(f == 1, r1, np.where(f == 2, r2, r3))
    return np.where(ok, risk, out)


def risk_measures(keys: pd.DataFrame, weights, k: int) -> RiskMeasures:
    """Individual and global re-identification risk of a file on its keys (sdcMicro ``measure_risk``).

    Parameters
    ----------
    keys : DataFrame
        The key variables (any values; NaN a suppressed value).
    weights : array-like
        Sampling weights.
    k : int
        For the count of records violating k-anonymity.

    Returns
    -------
    RiskMeasures

    Notes
    -----
    See the module's docstring for the formulas and their source.
    """
    fk, Fk, empty = key_frequencies(keys, weights)
    risk = np.where(empty, 0.0, individual_risk(fk, Fk))
    records = pd.DataFrame({"fk": fk.astype(int), "Fk": Fk, "risk": risk}, index=keys.index)
    total = float(risk.sum())
    return RiskMeasures(records, k, total, total / len(keys) if len(keys) else 0.0,
                        int(((fk < k) & ~empty).sum()), float(risk.max()) if len(risk) else 0.0)
