"""Result types: the Estimate table, the test of association result, the regression results."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import NeedsAnalysisError

__all__ = ["ESTIMATE_COLUMNS", "EstimateTable", "ChisqResult", "GlmResult", "OlrResult", "make_table"]

#: Columns every estimate table has after the by-variables, in this order.
ESTIMATE_COLUMNS = (
    "variable",
    "level",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "n",
    "deff",
    "cv",
    "df",
    "ci_method",
)


class EstimateTable(pd.DataFrame):
    """A tidy table of survey estimates: one row per estimate.

    A :class:`pandas.DataFrame` with the by-variables first (one column each,
    named after them), then :data:`ESTIMATE_COLUMNS`. It behaves as a plain
    DataFrame (``pd.concat`` works); it only adds a short caption describing
    the design and the estimator in its notebook representation (kept in
    ``attrs``).
    """

    @property
    def _constructor(self):
        return EstimateTable

    def _caption(self) -> str:
        info = self.attrs.get("caption")
        return str(info) if info else "Survey estimates"

    def _repr_html_(self) -> str | None:  # pragma: no cover - exercised in notebooks
        body = pd.DataFrame(self)._repr_html_()
        if body is None:
            return None
        return f"<p><b>{html.escape(self._caption())}</b></p>" + body

    def __repr__(self) -> str:
        return self._caption() + "\n" + pd.DataFrame(self).__repr__()

    def to_frame(self) -> pd.DataFrame:
        """Return the same table as a plain :class:`pandas.DataFrame`."""
        return pd.DataFrame(self)


def make_table(
    by_frame: pd.DataFrame | None,
    columns: dict[str, object],
    caption: str,
) -> EstimateTable:
    """Assemble an :class:`EstimateTable` from by-variable columns and statistics."""
    parts: dict[str, object] = {}
    if by_frame is not None:
        for c in by_frame.columns:
            parts[c] = by_frame[c].array
    for c in ESTIMATE_COLUMNS:
        parts[c] = columns[c]
    parts["level"] = np.asarray(parts["level"], dtype=object)
    parts["n"] = np.asarray(parts["n"], dtype=np.int64)
    out = EstimateTable(parts)
    out.attrs["caption"] = caption
    return out


@dataclass(frozen=True)
class ChisqResult:
    """Result of a design-based test of association in a two-way table.

    Attributes
    ----------
    statistic : float
        The test statistic (``F`` for the second-order Rao-Scott test, the
        adjusted ``X^2`` for the first-order one).
    ndf, ddf : float
        Numerator and denominator degrees of freedom (``ddf`` is ``inf`` for
        the chi-square reference distribution).
    p_value : float
        The p-value.
    method : str
        Description of the test.
    statistic_name : str
        ``"F"`` or ``"Chisq"``.
    pearson : float
        Pearson's ``X^2`` on the weighted table scaled to the sample size.
    table : pandas.DataFrame
        The weighted table (estimated population counts).
    """

    statistic: float
    ndf: float
    ddf: float
    p_value: float
    method: str
    statistic_name: str
    pearson: float
    table: pd.DataFrame = field(repr=False)

    @property
    def p(self) -> float:
        """Alias of :attr:`p_value`."""
        return self.p_value

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame with statistic, ndf, ddf, p."""
        return pd.DataFrame(
            {
                "statistic": [self.statistic],
                "ndf": [self.ndf],
                "ddf": [self.ddf],
                "p": [self.p_value],
                "test": [self.statistic_name],
                "method": [self.method],
            }
        )

    def _repr_html_(self) -> str:  # pragma: no cover - notebooks
        return f"<p><b>{html.escape(self.method)}</b></p>" + self.to_frame().to_html(index=False)


class _Coefficients:
    """Accessors shared by the regression results (their ``coefficients`` table)."""

    coefficients: pd.DataFrame

    @property
    def params(self) -> pd.Series:
        """Coefficients indexed by term."""
        return self.coefficients.set_index("term")["estimate"]

    @property
    def bse(self) -> pd.Series:
        """Standard errors indexed by term."""
        return self.coefficients.set_index("term")["se"]

    def _exp_table(self, terms) -> pd.DataFrame:
        keep = self.coefficients["term"].isin(list(terms))
        out = self.coefficients.loc[keep, ["term", "estimate", "ci_low", "ci_high"]].reset_index(drop=True)
        for c in ("estimate", "ci_low", "ci_high"):
            out[c] = np.exp(out[c])
        return out


@dataclass(frozen=True)
class GlmResult(_Coefficients):
    """A survey-weighted generalised linear model (like R ``svyglm``).

    Attributes
    ----------
    coefficients : pandas.DataFrame
        One row per term: ``term, estimate, se, statistic, p, ci_low, ci_high, df``.
    vcov : pandas.DataFrame
        Design-based covariance matrix of the coefficients.
    family : str
        ``"gaussian"`` or ``"binomial"`` (quasi-binomial).
    dispersion : float
        Estimated dispersion, as reported by ``summary.svyglm``.
    df_residual : float
        Design degrees of freedom minus the number of coefficients plus one.
    n : int
        Number of rows used.
    """

    coefficients: pd.DataFrame
    vcov: pd.DataFrame
    family: str
    dispersion: float
    df_residual: float
    n: int

    def odds_ratios(self) -> pd.DataFrame:
        """Exponentiated coefficients and confidence limits (logistic models)."""
        return self._exp_table(self.coefficients["term"])

    def _repr_html_(self) -> str:  # pragma: no cover - notebooks
        head = f"Survey-weighted {self.family} regression, n={self.n}, df={self.df_residual:g}"
        return f"<p><b>{html.escape(head)}</b></p>" + self.coefficients.to_html(index=False)


@dataclass(frozen=True)
class OlrResult(_Coefficients):
    """A survey-weighted proportional-odds (cumulative link) model (like R ``svyolr``).

    Attributes
    ----------
    coefficients : pandas.DataFrame
        One row per parameter, the slopes first, then the ``K - 1`` thresholds
        (named ``"lower|upper"``, R's intercepts ``zeta``): ``term, estimate,
        se, statistic, p, ci_low, ci_high, df`` (as :class:`GlmResult`).
    vcov : pandas.DataFrame
        Design-based covariance matrix of all parameters.
    method : str
        ``"logistic"`` or ``"probit"``.
    levels : tuple of str
        Outcome categories, lowest first.
    df_residual : float
        Design degrees of freedom of the rows used minus the number of slopes.
    n : int
        Number of rows used.
    deviance : float
        ``-2`` times the log-likelihood with weights scaled to mean 1 (R's
        ``deviance``).
    """

    coefficients: pd.DataFrame
    vcov: pd.DataFrame
    method: str
    levels: tuple
    df_residual: float
    n: int
    deviance: float

    @property
    def thresholds(self) -> pd.Series:
        """The cut-points ``zeta`` (increasing), indexed by ``"lower|upper"``."""
        return self.params.iloc[len(self.coefficients) - len(self.levels) + 1:]

    @property
    def slopes(self) -> pd.Series:
        """The coefficients ``beta`` of the predictors."""
        return self.params.iloc[: len(self.coefficients) - len(self.levels) + 1]

    def odds_ratios(self) -> pd.DataFrame:
        """Cumulative odds ratios ``exp(beta)`` with confidence limits (logistic link only).

        An odds ratio above 1 means higher categories are more likely.
        """
        if self.method != "logistic":
            raise NeedsAnalysisError(f"odds ratios of a {self.method} model", where="OlrResult.odds_ratios()",
                                     expected='a model fitted with method="logistic"', fix="refit with the logit link")
        return self._exp_table(self.slopes.index)

    def _repr_html_(self) -> str:  # pragma: no cover - notebooks
        head = f"Survey-weighted ordinal ({self.method}) regression, n={self.n}, df={self.df_residual:g}"
        return f"<p><b>{html.escape(head)}</b></p>" + self.coefficients.to_html(index=False)
