"""The public estimators shared by every design kind; the variance comes from the design's strategy object."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import NeedsAnalysisError
from ._args import check_df, check_level
from ._domains import Domains, make_domains
from ._estimate import difference, estimate, quantiles, two_group_ttest
from ._glm import svyglm
from ._olr import svyolr
from ._result import EstimateTable
from ._tests import rao_scott

__all__ = ["Design"]


class Design:
    """A survey design: data, analysis weights and a variance strategy (:class:`SurveyDesign`, :class:`ReplicateDesign`).

    The estimators here are the same for every kind of design; each kind
    supplies ``_variance`` (:class:`~._taylor.TaylorVariance` or
    :class:`~._repvar.ReplicateVariance`: the one variance routine of that
    kind) and ``_with_weights`` (the design with other analysis weights).
    Designs are immutable: every method returns a new object.
    """

    _data: pd.DataFrame
    _w: np.ndarray
    _weight_name: str | None

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable; methods return new objects")

    def _copy_with(self, **changes):
        new = object.__new__(type(self))
        for k, v in self.__dict__.items():
            if k != "_degf":  # derived from the weights and the variance strategy
                object.__setattr__(new, k, changes.pop(k, v))
        for k, v in changes.items():
            object.__setattr__(new, k, v)
        return new

    def _with_weights(self, w: np.ndarray):
        raise NotImplementedError

    def _variance_label(self) -> str:
        raise NotImplementedError

    def degf(self) -> int:
        """Design degrees of freedom (of the rows with a non-zero weight)."""
        if "_degf" not in self.__dict__:
            self.__dict__["_degf"] = self._variance.degf(self._w)
        return self.__dict__["_degf"]

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self._w.shape[0])

    # --------------------------------------------------------------- helpers
    def _domains(self, by) -> Domains:
        forbidden = {self._weight_name: "weight"} if self._weight_name else {}
        # the data never change, so domain codes are cached per by-list (shared by derived designs)
        cache = self.__dict__.setdefault("_domain_cache", {})
        key = tuple([by] if isinstance(by, str) else ([] if by is None else list(by)))
        if key not in cache:
            if len(cache) > 256:
                cache.clear()
            cache[key] = make_domains(self._data, by, forbidden=forbidden)
        return cache[key]

    def _df_for(self, df, dom: Domains) -> np.ndarray:
        if df is None and dom.frame is None:  # no domains: the design's df
            return np.full(1, float(self.degf()))
        if df is None:
            return self._variance.domain_df(dom.codes, dom.n_domains, self._w).astype(float)
        return np.full(dom.n_domains, check_df(df))

    def _row_mask(self, rows) -> np.ndarray:
        """Boolean row mask from a mask or a ``DataFrame.eval`` expression (missing -> False)."""
        if isinstance(rows, str):
            try:
                mask = self._data.eval(rows)
            except Exception as exc:  # noqa: BLE001 - turned into a user message
                raise NeedsAnalysisError(f"cannot evaluate {rows!r} ({exc})", where="subset()",
                                         expected="an expression over the data columns",
                                         fix="e.g. \"sex == 'F'\"") from None
        else:
            mask = rows
        mask = np.asarray(pd.Series(mask).fillna(False).to_numpy(), dtype=bool)
        if mask.shape != (len(self._w),):
            raise NeedsAnalysisError(f"subset mask has length {mask.size}", where="subset()",
                                     expected=f"{len(self._w)} values (one per row)",
                                     fix="build the mask from the design data")
        return mask

    # --------------------------------------------------------------- data
    def subset(self, rows):
        """Restrict estimation to a domain without dropping rows (R ``subset``).

        Parameters
        ----------
        rows : array-like of bool, pandas Series of bool, or str
            Domain membership (a boolean mask of length ``n``) or a
            :meth:`pandas.DataFrame.eval` expression such as ``"sex == 'F'"``.

        Returns
        -------
        SurveyDesign or ReplicateDesign
            The same design with weights (and replicate weights) set to zero
            outside the domain; the strata, PSUs and fpc of the full sample are
            kept, so estimates equal those from ``by=``.
        """
        mask = self._row_mask(rows)
        return self._with_weights(np.where(mask, self._w, 0.0))

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
        return self._copy_with(_data=data, _domain_cache={})  # domain codes are derived from the data

    # --------------------------------------------------------------- estimators
    def mean(self, variables, by=None, *, na_rm: bool = True, level: float = 0.95, df=None,
             deff: bool | str = True) -> EstimateTable:
        """Estimate population means (overall or by domain).

        Parameters
        ----------
        variables : str or list of str
            Numeric (or 0/1, bool) column(s); a list gives the rows of one
            call per variable, in turn (R ``svymean(~a + b)``).
        by : str or list of str, optional
            Domain variables; one row per observed combination.
        na_rm : bool, default True
            Treat rows with a missing value as outside the domain (R
            ``na.rm=TRUE``, per variable). With ``False`` a domain with a
            missing value gets NaN.
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
        return estimate(self, variables, by, kind="mean", na_rm=na_rm, level=level, df=df, deff=deff)

    def total(self, variables, by=None, *, na_rm: bool = True, level: float = 0.95, df=None,
              deff: bool | str = True) -> EstimateTable:
        """Estimate population totals (overall or by domain).

        Parameters are as for :meth:`mean`. For a categorical (string)
        variable the estimated number of people in each category is returned.

        Notes
        -----
        Horvitz-Thompson total ``sum w y``; influence function ``w y`` inside the
        domain. Matches R ``svytotal``.
        """
        return estimate(self, variables, by, kind="total", na_rm=na_rm, level=level, df=df, deff=deff)

    def ratio(self, numerator, denominator, by=None, *, na_rm: bool = True, level: float = 0.95, df=None,
              deff: bool | str = True) -> EstimateTable:
        """Estimate ratios of population totals ``T_numerator / T_denominator``.

        Parameters
        ----------
        numerator, denominator : str or list of str
            Numeric columns; with lists every numerator is divided by every
            denominator (R ``svyratio(~a + b, ~c)``), variable ``"a/c"``.
        by, na_rm, level, df, deff
            As for :meth:`mean`; a row lacking either value is outside the base.

        Returns
        -------
        EstimateTable

        Notes
        -----
        Influence function ``w (y - R x) / T_x``. Matches R ``svyratio``.
        """
        return estimate(self, numerator, by, kind="ratio", na_rm=na_rm, level=level, df=df, deff=deff,
                        denominators=denominator)

    def proportion(self, variables, by=None, *, ci_method: str = "logit", level: float = 0.95, df=None,
                   na_rm: bool = True, deff: bool | str = True) -> EstimateTable:
        """Estimate proportions (0-1) with a confidence interval suited to proportions.

        Parameters
        ----------
        variables : str or list of str
            A 0/1 or bool variable (one row per domain: the share of 1/True,
            ``level`` is NA) or a categorical variable (one row per category,
            categories in sorted or categorical order; they sum to 1 in every
            domain); a list gives the rows of one call per variable, in turn.
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
        return estimate(self, variables, by, kind="proportion", na_rm=na_rm, level=level, df=df, deff=deff,
                        ci_method=ci_method)

    def quantile(self, variables, q=0.5, by=None, *, level: float = 0.95, df=None, na_rm: bool = True,
                 rule: str = "math") -> EstimateTable:
        """Estimate population quantiles with Woodruff confidence intervals.

        Parameters
        ----------
        variables : str or list of str
            Numeric column(s).
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
        level = check_level(level)
        if rule not in ("math", "school"):
            raise NeedsAnalysisError(f"unknown quantile rule {rule!r}", where="quantile()",
                                     expected='"math" or "school"', fix='use rule="math"')
        probs = np.atleast_1d(np.asarray(q, dtype=float))
        if np.any((probs < 0) | (probs > 1)) or np.any(~np.isfinite(probs)):
            raise NeedsAnalysisError(f"quantile probabilities {list(probs)} outside [0, 1]", where="quantile()",
                                     expected="numbers between 0 and 1", fix="use q=0.5 for the median")
        return quantiles(self, variables, probs, by, level=level, df=df, na_rm=na_rm, rule=rule)

    # ------------------------------------------------------------ tests, models
    def difference(self, variables, by, first, second, *, category=None, level: float = 0.95, df=None,
                   na_rm: bool = True) -> EstimateTable:
        """Difference of a mean or proportion between two domains, with its design-based SE.

        Parameters
        ----------
        variables : str or list of str
            Numeric, 0/1 or categorical variable(s); one row per variable.
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
            One row per variable: ``estimate = est(first) - est(second)``,
            its SE, a t interval, plus ``statistic`` (t) and ``p_value``
            (two-sided) columns; all missing where either domain has no base.

        Notes
        -----
        The difference is a contrast whose linearised values are the first
        domain's minus the second's (they may share PSUs), so its variance is
        the design variance of those values, or of the differenced replicate
        estimates: R ``svycontrast(svyby(..., covmat=TRUE), c(1, -1))``.
        """
        return difference(self, variables, by, first, second, category=category, level=level, df=df, na_rm=na_rm)

    def ttest(self, variable: str, group: str, *, level: float = 0.95) -> EstimateTable:
        """Design-based t test of equal means in two groups (R ``svyttest(y ~ g)``).

        Parameters
        ----------
        variable : str
            Numeric or 0/1 variable.
        group : str
            Variable with exactly two values (categories in sorted or
            categorical order).
        level : float, default 0.95

        Returns
        -------
        EstimateTable
            One row, as :meth:`difference`: the ``group`` column reads
            ``"second - first"``; ``estimate`` is the mean of the second group
            minus that of the first (R's "difference in mean"), with ``se``,
            the t interval, ``df``, ``statistic`` (t) and ``p_value``
            (two-sided).

        Notes
        -----
        R fits the survey-weighted regression of the variable on the second
        group's indicator (rows missing either outside the fit): its slope is
        the difference of the two groups' means, its sandwich (or replicate)
        variance that of the domain contrast of :meth:`difference` over the
        rows used, and its df the design df of those rows minus one
        (``svyglm``'s residual df); ``t = estimate / se``.

        References
        ----------
        Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*.
        Wiley, sec. 5.2.

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
        return two_group_ttest(self, variable, group, level=level)

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
        return rao_scott(self, row, col, statistic=statistic)

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
        return svyglm(self, outcome, predictors, family=family, level=level)

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
        return svyolr(self, outcome, predictors, levels=levels, method=method, level=level, df=df)
