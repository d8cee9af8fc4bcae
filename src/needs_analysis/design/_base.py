"""Estimation methods shared by Taylor-linearisation and replicate-weight designs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import NeedsAnalysisError
from ._ci import PROPORTION_CI_METHODS, critical_value, normalise_ci_method, proportion_ci, wald_ci
from ._domains import Domains, as_list, make_domains
from ._estimators import (
    RatioCore,
    RatioInput,
    category_values,
    numeric_values,
    ratio_point,
    row_scores,
    srs_variances,
    weighted_quantile,
)
from ._result import EstimateTable, make_table

__all__ = ["EstimatorMixin"]


def _check_level(level: float) -> float:
    try:
        lv = float(level)
    except (TypeError, ValueError):
        lv = float("nan")
    if not 0 < lv < 1:
        raise NeedsAnalysisError(
            f"confidence level {level!r} is not between 0 and 1",
            where="level=",
            expected="a number such as 0.95",
            fix="give the level as a fraction, not a percentage",
        )
    return lv


def _check_df(df) -> float:
    """A user's ``df=``: a positive number (``numpy.inf`` for normal quantiles)."""
    try:
        val = float(df)
    except (TypeError, ValueError):
        val = float("nan")
    if not (val > 0):
        raise NeedsAnalysisError(
            f"df={df!r} is not a positive number",
            where="df=",
            expected="None (design degrees of freedom), a positive number, or numpy.inf (normal)",
            fix="leave df=None to use the design degrees of freedom",
        )
    return val


def _check_deff(deff) -> bool | str:
    if deff is True or deff is False or deff == "replace":
        return deff
    raise NeedsAnalysisError(
        f"deff={deff!r} is not a known option",
        where="deff=",
        expected='True (without-replacement SRS reference, R deff=TRUE), "replace" or False',
        fix='use deff=True or deff="replace"',
    )


def level_label(value) -> str:
    """Text of a category (or quantile probability) for the ``level`` column.

    Levels are always strings so that tables of different variables can be
    concatenated and written to parquet: ``1.0`` -> ``"1"``, ``0.25`` -> ``"0.25"``.
    """
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else f"{float(value):g}"
    if isinstance(value, (np.integer,)):
        return str(int(value))
    return str(value)


class EstimatorMixin:
    """Point estimators with design-based standard errors, CIs and design effects.

    Subclasses provide ``_data``, ``_w`` and the variance hooks
    ``_ratio_variance`` and ``_domain_df``.
    """

    _data: pd.DataFrame
    _w: np.ndarray
    _weight_name: str | None

    # ----------------------------------------------------------------- hooks
    def _ratio_variance(self, inp: RatioInput, core: RatioCore, full: bool = False) -> np.ndarray:
        raise NotImplementedError

    def _domain_df(self, codes: np.ndarray, g: int) -> np.ndarray:
        raise NotImplementedError

    def _variance_label(self) -> str:
        raise NotImplementedError

    # --------------------------------------------------------------- helpers
    def _domains(self, by) -> Domains:
        forbidden = {self._weight_name: "weight"} if self._weight_name else {}
        # the data never change, so domain codes are cached per by-list (shared by derived designs)
        cache = self.__dict__.setdefault("_domain_cache", {})
        key = tuple(as_list(by))
        if key not in cache:
            if len(cache) > 256:
                cache.clear()
            cache[key] = make_domains(self._data, by, forbidden=forbidden)
        return cache[key]

    def with_columns(self, columns: pd.DataFrame):
        """The same design with columns added to (or replaced in) its data.

        Parameters
        ----------
        columns : DataFrame
            One row per design row, in the design's row order (the index is
            ignored). Columns that define the design (weights, strata, PSUs,
            fpc) cannot be replaced.

        Returns
        -------
        SurveyDesign or ReplicateDesign
            Same weights, structure, calibration steps and replicate weights;
            the data has the new columns. The original is unchanged.

        Examples
        --------
        >>> import pandas as pd
        >>> from needs_analysis import SurveyDesign
        >>> d = SurveyDesign(pd.DataFrame({"w": [1.0, 3.0]}), weights="w")
        >>> float(d.with_columns(pd.DataFrame({"y": [0.0, 1.0]})).mean("y")["estimate"].iloc[0])
        0.75
        """
        cols = pd.DataFrame(columns)
        if len(cols) != len(self._w):
            raise NeedsAnalysisError(f"{len(cols)} rows of new columns for a design of {len(self._w)} rows",
                                     where="with_columns()", expected="one row per design row, in order",
                                     fix="build the columns from the design's data")
        spec = {k: v for k, v in (getattr(self, "_spec", {}) or {}).items() if k in ("strata", "psu", "fpc")}
        fixed = {self._weight_name} | {c for v in spec.values() for c in (v if isinstance(v, (list, tuple)) else [v])
                                       if isinstance(c, str)}
        clash = sorted(set(map(str, cols.columns)) & fixed)
        if clash:
            raise NeedsAnalysisError(f"column(s) {', '.join(clash)} define the design", where="with_columns()",
                                     expected="analysis variables only", fix="rename the new columns")
        cols = cols.set_axis(self._data.index)
        data = pd.concat([self._data.drop(columns=[c for c in cols.columns if c in self._data.columns]), cols],
                         axis=1)
        new = object.__new__(type(self))
        for k, v in self.__dict__.items():
            if k not in ("_many_cache", "_domain_cache"):  # both derived from the data
                object.__setattr__(new, k, v)
        object.__setattr__(new, "_data", data)
        return new

    def _row_mask(self, rows) -> np.ndarray:
        """Boolean row mask from a mask or a ``DataFrame.eval`` expression (missing -> False)."""
        if isinstance(rows, str):
            try:
                mask = self._data.eval(rows)
            except Exception as exc:  # noqa: BLE001 - turned into a user message
                raise NeedsAnalysisError(
                    f"cannot evaluate {rows!r} ({exc})",
                    where="subset()",
                    expected="an expression over the data columns",
                    fix="e.g. \"sex == 'F'\"",
                ) from None
        else:
            mask = rows
        mask = np.asarray(pd.Series(mask).fillna(False).to_numpy(), dtype=bool)
        if mask.shape != (len(self._w),):
            raise NeedsAnalysisError(
                f"subset mask has length {mask.size}",
                where="subset()",
                expected=f"{len(self._w)} values (one per row)",
                fix="build the mask from the design data",
            )
        return mask

    def _df_for(self, df, dom: Domains) -> np.ndarray:
        if df is None:
            return self._domain_df(dom.codes, dom.n_domains).astype(float)
        return np.full(dom.n_domains, _check_df(df))

    def _run(self, inp: RatioInput, deff) -> tuple[RatioCore, np.ndarray, np.ndarray]:
        core = ratio_point(self._w, inp)
        var = self._ratio_variance(inp, core).reshape(core.estimate.shape)
        # rounding noise from structurally zero variances (e.g. a stratum proportion) -> 0
        var = np.where(var < (1e-13 * np.abs(core.estimate)) ** 2, 0.0, var)
        var = np.where(np.isnan(core.estimate), np.nan, var)  # empty base: no estimate, no SE
        r, member = row_scores(self._w, inp, core)
        wor, wr = srs_variances(self._w, r, member, inp.codes, core)
        with np.errstate(divide="ignore", invalid="ignore"):
            if deff == "replace":
                d = var / wr
            elif deff:
                d = var / wor
            else:
                d = np.full_like(var, np.nan)
        return core, var, d

    def _table(
        self, dom: Domains, variable: str, levels, est, var, n, deff, df, lo, hi, ci_method: str, what: str
    ) -> EstimateTable:
        g, k = est.shape
        se = np.sqrt(var)
        with np.errstate(divide="ignore", invalid="ignore"):
            cv = se / np.abs(est)
        lev = np.empty(g * k, dtype=object)
        labels = None if levels is None else [level_label(v) for v in levels]
        lev[:] = [pd.NA if labels is None else labels[j] for _ in range(g) for j in range(k)]
        by_frame = None
        if dom.frame is not None:
            by_frame = dom.frame.iloc[np.repeat(np.arange(g), k)].reset_index(drop=True)
        cols = {
            "variable": np.repeat(variable, g * k).astype(object),
            "level": lev,
            "estimate": est.ravel(),
            "se": se.ravel(),
            "ci_low": lo.ravel(),
            "ci_high": hi.ravel(),
            "n": np.repeat(n, k),
            "deff": deff.ravel(),
            "cv": cv.ravel(),
            "df": np.repeat(df, k),
            "ci_method": np.repeat(ci_method, g * k).astype(object),
        }
        return make_table(by_frame, cols, f"{what} of {variable} ({self._variance_label()})")

    def _numeric_input(self, variable: str, dom: Domains, na_rm: bool, where: str) -> RatioInput:
        y = numeric_values(self._data, variable, where)
        valid = ~np.isnan(y) if na_rm else np.ones(len(y), dtype=bool)
        return RatioInput(
            np.where(valid, y, 0.0)[:, None] if na_rm else y[:, None], None, valid, dom.codes, dom.n_domains
        )

    # --------------------------------------------------------------- public
    def mean(
        self, variable: str, by=None, *, na_rm: bool = True, level: float = 0.95, df=None, deff: bool | str = True
    ) -> EstimateTable:
        """Estimate a population mean (overall or by domain).

        Parameters
        ----------
        variable : str
            Numeric (or 0/1, bool) column.
        by : str or list of str, optional
            Domain variables; one row per observed combination.
        na_rm : bool, default True
            Treat rows with a missing value as outside the domain (R
            ``na.rm=TRUE``). With ``False`` a domain with a missing value gets NaN.
        level : float, default 0.95
            Confidence level.
        df : float, optional
            Degrees of freedom of the t interval; ``None`` uses the design
            degrees of freedom of the domain, ``numpy.inf`` gives a normal
            interval (R ``confint`` default).
        deff : True, "replace" or False
            Design effect against SRS without (True, R ``deff=TRUE``) or with
            replacement (``"replace"``). When the weights in the base sum to no
            more than its size (weights not scaled to the population) the
            with-replacement reference is used (R would give NA or Inf).

        Returns
        -------
        EstimateTable
            Columns: by-variables, variable, level (NA), estimate, se, ci_low,
            ci_high, n, deff, cv, df, ci_method (``"wald"``).

        Notes
        -----
        The mean is the ratio ``sum w y / sum w``; its influence function is
        ``w (y - ybar) / sum w`` inside the domain and 0 outside. Matches R
        ``svymean`` / ``svyby(..., svymean)``.

        References
        ----------
        Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley.
        """
        level = _check_level(level)
        deff = _check_deff(deff)
        dom = self._domains(by)
        inp = self._numeric_input(variable, dom, na_rm, "mean()")
        inp = RatioInput(inp.y, np.ones_like(inp.y), inp.valid, inp.codes, inp.n_domains)
        core, var, d = self._run(inp, deff)
        dfv = self._df_for(df, dom)
        lo, hi = wald_ci(core.estimate, np.sqrt(var), dfv[:, None], level)
        return self._table(dom, variable, None, core.estimate, var, core.n, d, dfv, lo, hi, "wald", "Mean")

    def total(
        self, variable: str, by=None, *, na_rm: bool = True, level: float = 0.95, df=None, deff: bool | str = True
    ) -> EstimateTable:
        """Estimate a population total (overall or by domain).

        Parameters are as for :meth:`mean`. For a categorical (string)
        variable the estimated number of people in each category is returned.

        Notes
        -----
        Horvitz-Thompson total ``sum w y``; influence function ``w y`` inside the
        domain. Matches R ``svytotal``.
        """
        level = _check_level(level)
        deff = _check_deff(deff)
        dom = self._domains(by)
        col = self._data[variable] if variable in self._data.columns else None
        levels = None
        if col is not None and not (pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype)):
            levels, ind = category_values(self._data, variable, "total()")
            valid = ~np.isnan(ind[:, 0]) if na_rm else np.ones(len(ind), dtype=bool)
            inp = RatioInput(
                np.where(valid[:, None], ind, 0.0) if na_rm else ind, None, valid, dom.codes, dom.n_domains
            )
        else:
            inp = self._numeric_input(variable, dom, na_rm, "total()")
        core, var, d = self._run(inp, deff)
        dfv = self._df_for(df, dom)
        lo, hi = wald_ci(core.estimate, np.sqrt(var), dfv[:, None], level)
        return self._table(dom, variable, levels, core.estimate, var, core.n, d, dfv, lo, hi, "wald", "Total")

    def ratio(
        self,
        numerator: str,
        denominator: str,
        by=None,
        *,
        na_rm: bool = True,
        level: float = 0.95,
        df=None,
        deff: bool | str = True,
    ) -> EstimateTable:
        """Estimate the ratio of two population totals ``sum w y / sum w x``.

        Rows missing either variable are left out of the base (R
        ``svyratio(..., na.rm=TRUE)``). The ``variable`` column reads
        ``"numerator/denominator"``.

        Notes
        -----
        Influence function ``w (y - R x) / sum w x`` (Woodruff 1971).

        References
        ----------
        Woodruff, R. S. (1971). A simple method for approximating the variance
        of a complicated estimate. *JASA*, 66, 411-414.
        """
        level = _check_level(level)
        deff = _check_deff(deff)
        dom = self._domains(by)
        y = numeric_values(self._data, numerator, "ratio()")
        x = numeric_values(self._data, denominator, "ratio()")
        valid = ~(np.isnan(y) | np.isnan(x)) if na_rm else np.ones(len(y), dtype=bool)
        if na_rm:
            y, x = np.where(valid, y, 0.0), np.where(valid, x, 0.0)
        inp = RatioInput(y[:, None], x[:, None], valid, dom.codes, dom.n_domains)
        core, var, d = self._run(inp, deff)
        dfv = self._df_for(df, dom)
        lo, hi = wald_ci(core.estimate, np.sqrt(var), dfv[:, None], level)
        return self._table(
            dom, f"{numerator}/{denominator}", None, core.estimate, var, core.n, d, dfv, lo, hi, "wald", "Ratio"
        )

    def estimate_many(
        self,
        variables,
        by=None,
        *,
        kinds=None,
        ci_method: str = "logit",
        level: float = 0.95,
        deff: bool | str = True,
    ) -> pd.DataFrame:
        """Proportions and means of many variables by the same domains, in one pass.

        Parameters
        ----------
        variables : sequence of str
            0/1 (or bool) columns for proportions, numeric columns for means.
        by : str or list of str, optional
            Domain variables (as in :meth:`proportion`).
        kinds : str or sequence of str, optional
            ``"proportion"`` (default) or ``"mean"``, one per variable or one for all.
        ci_method : str, default "logit"
            Interval of the proportions (means get Wald intervals).
        level : float, default 0.95
        deff : True, "replace" or False

        Returns
        -------
        pandas.DataFrame
            The by-variables, then ``variable, level`` (NA), ``estimate, se,
            ci_low, ci_high, n, deff, cv, df, ci_method``; one row per variable and domain, variable-major
            (the rows of ``proportion(v, by=by)`` for every ``v`` in turn). The
            numbers equal those of :meth:`proportion` / :meth:`mean`.

        Notes
        -----
        Each domain is one block of rows: totals are matrix-vector products,
        Taylor variances use the clusters of the domain plus a closed-form term
        for the clusters without domain members, and replicate estimates are one
        matrix product per domain (see :mod:`needs_analysis.design._many`).
        Calibrated Taylor designs residualise each domain's scores on the
        calibration variables; ``ci_method="likelihood"`` uses the
        per-variable route.

        References
        ----------
        Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley.
        """
        from ._many import estimate_many

        return estimate_many(self, variables, by, kinds=kinds, ci_method=ci_method, level=level, deff=deff)

    def proportion(
        self,
        variable: str,
        by=None,
        *,
        ci_method: str = "logit",
        level: float = 0.95,
        df=None,
        na_rm: bool = True,
        deff: bool | str = True,
    ) -> EstimateTable:
        """Estimate proportions (0-1) with a confidence interval suited to proportions.

        Parameters
        ----------
        variable : str
            A 0/1 or bool variable (one row per domain: the share of 1/True,
            ``level`` is NA) or a categorical variable (one row per category,
            categories in sorted or categorical order; they sum to 1 in every
            domain).
        by : str or list of str, optional
            Domain variables.
        ci_method : str, default "logit"
            ``logit``, ``likelihood``, ``beta`` (Korn-Graubard), ``wilson``,
            ``asin``, ``xlogit`` or ``wald`` (alias ``mean``).
        level : float, default 0.95
        df : float, optional
            Degrees of freedom; ``None``: design degrees of freedom of the
            domain (PSUs minus strata with members in the domain), as R
            ``svyby(..., svyciprop)``.
        na_rm : bool, default True
            Missing answers are outside the base.
        deff : True, "replace" or False

        Returns
        -------
        EstimateTable

        Notes
        -----
        Estimates and SEs are those of :meth:`mean` of the category
        indicators; intervals follow R ``svyciprop`` (see
        :func:`needs_analysis.design._ci.proportion_ci`).
        """
        level = _check_level(level)
        deff = _check_deff(deff)
        method = normalise_ci_method(ci_method)
        if method is None:
            raise NeedsAnalysisError(
                f"unknown ci_method {ci_method!r}",
                where="proportion()",
                expected="one of " + ", ".join(PROPORTION_CI_METHODS),
                fix='use ci_method="logit" (default)',
            )
        dom = self._domains(by)
        levels, ind = category_values(self._data, variable, "proportion()")
        valid = ~np.isnan(ind[:, 0]) if na_rm else np.ones(len(ind), dtype=bool)
        y = np.where(valid[:, None], ind, 0.0) if na_rm else ind
        inp = RatioInput(y, np.ones_like(y), valid, dom.codes, dom.n_domains)
        core, var, d = self._run(inp, deff)
        dfv = self._df_for(df, dom)
        se = np.sqrt(var)
        dfk = np.broadcast_to(dfv[:, None], core.estimate.shape)
        nk = np.broadcast_to(core.n[:, None].astype(float), core.estimate.shape)
        lik = None
        if method == "likelihood":
            lik = self._likelihood_callback(core, var, dfk, level, inp)
        in_dom = (dom.codes >= 0) & (self._w != 0)
        n_design = np.bincount(dom.codes[in_dom], minlength=dom.n_domains)[:, None].astype(float)
        lo, hi = proportion_ci(
            method,
            core.estimate,
            se,
            dfk,
            nk,
            level,
            likelihood=lik,
            n_design=np.broadcast_to(n_design, core.estimate.shape),
        )
        return self._table(dom, variable, levels, core.estimate, var, core.n, d, dfv, lo, hi, method, "Proportion")

    def _likelihood_callback(self, core, var, dfk, level, inp):
        from ._likelihood import profile_ci

        def cb(i):
            gi, k = i
            in_dom = inp.codes == gi
            rows = in_dom & inp.valid
            w_mean = float(np.mean(self._w[in_dom]))
            return profile_ci(inp.y[rows, k], self._w[rows], w_mean, float(var[i]), float(dfk[i]), level)

        return cb

    def quantile(
        self, variable: str, q=0.5, by=None, *, level: float = 0.95, df=None, na_rm: bool = True, rule: str = "math"
    ) -> EstimateTable:
        """Estimate population quantiles with Woodruff confidence intervals.

        Parameters
        ----------
        variable : str
            Numeric column.
        q : float or sequence of float, default 0.5
            Probabilities; the ``level`` column of the result holds them.
        by : str or list of str, optional
        level : float, default 0.95
        df : float, optional
            Degrees of freedom (default: design df of the domain).
        na_rm : bool, default True
        rule : {"math", "school"}
            Quantile rule (R ``qrule``).

        Returns
        -------
        EstimateTable
            ``se`` is the CI width divided by twice the critical value, as
            in R; ``deff`` is NaN.

        Notes
        -----
        Woodruff (1952): an interval for ``F(q_hat)`` (the domain mean of
        ``1[y <= q_hat]``) is mapped back through the weighted quantile
        function. Matches R ``svyquantile(..., interval.type="mean")``.

        References
        ----------
        Woodruff, R. S. (1952). Confidence intervals for medians and other
        position measures. *JASA*, 47, 635-646.
        """
        level = _check_level(level)
        if rule not in ("math", "school"):
            raise NeedsAnalysisError(
                f"unknown quantile rule {rule!r}",
                where="quantile()",
                expected='"math" or "school"',
                fix='use rule="math"',
            )
        probs = np.atleast_1d(np.asarray(q, dtype=float))
        if np.any((probs < 0) | (probs > 1)) or np.any(~np.isfinite(probs)):
            raise NeedsAnalysisError(
                f"quantile probabilities {list(probs)} outside [0, 1]",
                where="quantile()",
                expected="numbers between 0 and 1",
                fix="use q=0.5 for the median",
            )
        dom = self._domains(by)
        y = numeric_values(self._data, variable, "quantile()")
        valid = ~np.isnan(y) if na_rm else np.ones(len(y), dtype=bool)
        g = dom.n_domains
        dfv = self._df_for(df, dom)
        crit = critical_value(level, dfv)
        est = np.full((g, probs.size), np.nan)
        lo = np.full_like(est, np.nan)
        hi = np.full_like(est, np.nan)
        var = np.full_like(est, np.nan)
        nn = np.zeros(g, dtype=np.int64)
        for j, p in enumerate(probs):
            qhat = np.full(g, np.nan)
            for gi in range(g):
                sel = (dom.codes == gi) & valid
                nn[gi] = int(np.sum(self._w[sel] != 0))
                if not na_rm and np.isnan(y[dom.codes == gi]).any():
                    continue
                qhat[gi] = weighted_quantile(y[sel], self._w[sel], p, rule)
            ind = np.zeros(len(y))
            rows = (dom.codes >= 0) & valid
            ind[rows] = (y[rows] <= qhat[dom.codes[rows]]).astype(float)
            inp = RatioInput(ind[:, None], np.ones((len(y), 1)), valid, dom.codes, g)
            core = ratio_point(self._w, inp)
            v = self._ratio_variance(inp, core).reshape(g)
            plo, phi = wald_ci(core.estimate[:, 0], np.sqrt(v), dfv, level)
            for gi in range(g):
                sel = (dom.codes == gi) & valid
                est[gi, j] = qhat[gi]
                if np.isnan(qhat[gi]):
                    continue
                lo[gi, j] = np.nan if not (plo[gi] >= 0) else weighted_quantile(y[sel], self._w[sel], plo[gi], rule)
                hi[gi, j] = np.nan if not (phi[gi] <= 1) else weighted_quantile(y[sel], self._w[sel], phi[gi], rule)
            var[:, j] = ((hi[:, j] - lo[:, j]) / (2 * crit)) ** 2
        d = np.full_like(est, np.nan)
        return self._table(dom, variable, list(probs), est, var, nn, d, dfv, lo, hi, "woodruff", "Quantile")

    # ------------------------------------------------------------ tests, models
    def _design_df_for_tests(self) -> float:
        return float(self.degf())

    def chisq(self, row: str, col: str, statistic: str = "F"):
        """Rao-Scott test of association between two categorical variables (R ``svychisq``).

        Parameters
        ----------
        row, col : str
            Categorical or 0/1 variables; rows missing either are left out.
        statistic : {"F", "Chisq", "Wald", "adjWald"}
            Second-order corrected F test (default), first-order corrected
            chi-square, or the design-based Wald test (``adjWald``: with
            Fellegi's small-df correction).

        Returns
        -------
        ChisqResult
            ``statistic, ndf, ddf, p_value`` (see
            :func:`needs_analysis.design._tests.rao_scott`).
        """
        from ._tests import rao_scott

        return rao_scott(self, row, col, statistic=statistic)

    def difference(
        self, variable: str, by, first, second, *, category=None, level: float = 0.95, df=None, na_rm: bool = True
    ) -> EstimateTable:
        """Difference of a mean or proportion between two domains, with its design-based SE.

        Parameters
        ----------
        variable : str
            Numeric, 0/1 or categorical variable.
        by : str or list of str
            Domain variable(s).
        first, second : value or tuple
            The two domains compared (``first - second``).
        category : optional
            Category of a categorical variable whose proportion is compared.
        level : float, default 0.95
        df : float, optional
            Degrees of freedom (default: design df).
        na_rm : bool, default True

        Returns
        -------
        EstimateTable
            One row, plus ``statistic`` (t) and ``p_value`` columns (see
            :func:`needs_analysis.design._tests.domain_difference`).
        """
        from ._tests import domain_difference

        return domain_difference(self, variable, by, first, second, category=category, level=level, df=df, na_rm=na_rm)

    def ttest(self, variable: str, group: str, *, level: float = 0.95) -> EstimateTable:
        """Design-based t test of equal means in two groups (R ``svyttest(y ~ g)``).

        Parameters
        ----------
        variable : str
            Numeric or 0/1 variable.
        group : str
            Variable with exactly two values.
        level : float, default 0.95

        Returns
        -------
        EstimateTable
            One row: mean of the second group minus the first, SE, t interval,
            ``df`` (design df - 1), ``statistic`` (t) and ``p_value`` (see
            :func:`needs_analysis.design._tests.two_group_ttest`).

        Examples
        --------
        >>> import pandas as pd
        >>> from needs_analysis import SurveyDesign
        >>> df = pd.DataFrame({"w": [1.0, 2, 1, 2, 1, 2], "sex": list("FFFMMM"), "y": [1.0, 2, 3, 5, 6, 7]})
        >>> t = SurveyDesign(df, weights="w").ttest("y", "sex")
        >>> print(t[["sex", "estimate", "df"]].to_string(index=False))
          sex  estimate  df
        M - F       4.0 4.0
        """
        from ._tests import two_group_ttest

        return two_group_ttest(self, variable, group, level=level)

    def olr(self, outcome: str, predictors, *, levels=None, method: str = "logistic", level: float = 0.95, df=None):
        """Proportional-odds model for an ordinal outcome such as a satisfaction scale (R ``svyolr``).

        Parameters
        ----------
        outcome : str
            Ordinal outcome: a pandas ``Categorical`` (its order), numbers
            (sorted), or codes ordered by ``levels=`` (lowest first; other
            values such as ``dont_know`` are missing).
        predictors : str or list of str
        levels : sequence, optional
        method : {"logistic", "probit"}
        level : float, default 0.95
        df : float, optional
            df of intervals and p-values (default: residual design df).

        Returns
        -------
        OlrResult
            See :func:`needs_analysis.design._olr.svyolr`.
        """
        from ._olr import svyolr

        return svyolr(self, outcome, predictors, levels=levels, method=method, level=level, df=df)

    def glm(self, outcome: str, predictors, family: str = "gaussian", *, level: float = 0.95):
        """Survey-weighted linear or logistic regression (R ``svyglm``).

        Parameters
        ----------
        outcome : str
            Outcome column.
        predictors : str or list of str
            Predictors; categorical ones are treatment coded.
        family : {"gaussian", "binomial"}
            Linear or logistic (quasi-binomial) regression.
        level : float, default 0.95

        Returns
        -------
        GlmResult
            Coefficients with design-based SEs (see
            :func:`needs_analysis.design._glm.svyglm`).
        """
        from ._glm import svyglm

        return svyglm(self, outcome, predictors, family=family, level=level)
