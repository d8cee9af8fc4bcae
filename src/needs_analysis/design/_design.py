"""``SurveyDesign``: an immutable complex-sample design with Taylor-linearisation variances."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import NeedsAnalysisError
from ._base import EstimatorMixin
from ._estimators import RatioCore, RatioInput, row_scores, unit_scores
from ._structure import build_structure
from ._variance import LONELY_PSU_OPTIONS, taylor_vcov

__all__ = ["SurveyDesign"]


class SurveyDesign(EstimatorMixin):
    """A complex survey design: weights, strata, clusters (multistage) and fpc.

    Parameters
    ----------
    df : pandas.DataFrame
        Survey data, one row per respondent. It is never modified.
    weights : str, optional
        Sampling (or calibrated) weight column. ``None``: weights implied by
        ``fpc`` when it is given (product over stages of ``N / n``, as R
        ``svydesign``), otherwise 1 for every row.
    strata : str or list of str, optional
        Stratum column(s) of the first stage (several are crossed).
    psu : str or list of str, optional
        Cluster identifiers by stage: ``"psu"`` (one stage) or
        ``["psu", "ssu"]`` (two stages). ``None``: every row is its own PSU.
    fpc : str or list of str, optional
        Finite population correction by stage, given either as population
        sizes (all values >= 1) or as sampling fractions (all <= 1).
    nest : bool, default False
        PSU identifiers are only unique within strata (R ``nest=TRUE``).
    lonely_psu : {"fail", "remove", "adjust", "average", "certainty"}
        What to do with a stratum that has one PSU (R ``survey.lonely.psu``).

    Notes
    -----
    Variances use Taylor linearisation (:func:`~._variance.taylor_vcov`):
    with replacement at the first stage unless an fpc is given; later stages
    are added only when the earlier stage has an fpc (R ``svyrecvar``), so a
    two-stage design without fpc uses the ultimate-cluster approximation.

    The design is immutable: every method returns a new object.

    References
    ----------
    Lumley, T. (2004). Analysis of complex survey samples. *Journal of
    Statistical Software*, 9(8). Särndal, C.-E., Swensson, B. & Wretman, J.
    (1992). *Model Assisted Survey Sampling*. Springer.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"w": [10.0, 20, 10, 30], "sex": ["F", "M", "F", "M"],
    ...                    "need_lang": [1.0, 0, None, 1]})
    >>> d = SurveyDesign(df, weights="w")
    >>> t = d.proportion("need_lang", by="sex")
    >>> print(t[["sex", "estimate", "n"]].to_string(index=False))
    sex  estimate  n
      F       1.0  1
      M       0.6  2
    """

    def __init__(
        self,
        df: pd.DataFrame,
        weights: str | None = None,
        strata=None,
        psu=None,
        fpc=None,
        *,
        nest: bool = False,
        lonely_psu: str = "fail",
    ) -> None:
        if not isinstance(df, pd.DataFrame):
            raise NeedsAnalysisError(
                f"data is a {type(df).__name__}",
                where="SurveyDesign(df=)",
                expected="a pandas DataFrame",
                fix="pass the survey responses as a DataFrame",
            )
        if lonely_psu not in LONELY_PSU_OPTIONS:
            raise NeedsAnalysisError(
                f"lonely_psu={lonely_psu!r} is not an option",
                where="SurveyDesign(lonely_psu=)",
                expected="one of " + ", ".join(LONELY_PSU_OPTIONS),
                fix='use lonely_psu="adjust" or "remove"',
            )
        if len(df) == 0:
            raise NeedsAnalysisError(
                "the data has no rows",
                where="SurveyDesign(df=)",
                expected="at least one respondent",
                fix="check the input file",
            )
        data = df.copy(deep=False)
        st = build_structure(data, weights, strata, psu, fpc, nest, lonely_psu)
        object.__setattr__(self, "_data", data)
        object.__setattr__(self, "_weight_name", weights)
        object.__setattr__(
            self, "_spec", dict(weights=weights, strata=strata, psu=psu, fpc=fpc, nest=nest, lonely_psu=lonely_psu)
        )
        object.__setattr__(self, "_w", st.w)
        object.__setattr__(self, "_plan", st.plan)
        object.__setattr__(self, "_unit_of_row", st.unit_of_row)
        object.__setattr__(self, "_psu1", st.psu1)
        object.__setattr__(self, "_strata1", st.strata1)
        object.__setattr__(self, "_n_stages", st.n_stages)
        object.__setattr__(self, "_has_strata", st.has_strata)
        object.__setattr__(self, "_calibrations", ())

    # ------------------------------------------------------------ immutability
    def __setattr__(self, name, value):
        raise AttributeError("SurveyDesign is immutable; methods return new objects")

    def _with_weights(self, w: np.ndarray) -> "SurveyDesign":
        new = object.__new__(type(self))
        for k, v in self.__dict__.items():
            object.__setattr__(new, k, v)
        w = np.asarray(w, dtype=float).copy()
        w.setflags(write=False)
        object.__setattr__(new, "_w", w)
        return new

    def _with_calibration(self, w: np.ndarray, step) -> "SurveyDesign":
        new = self._with_weights(w)
        object.__setattr__(new, "_calibrations", tuple(self._calibrations) + (step,))
        return new

    # ------------------------------------------------------------ calibration
    def calibrate(self, population, method: str = "linear", *, bounds=None, intercept=None) -> "SurveyDesign":
        """Calibrate the weights to population totals; variances account for the calibration.

        Parameters
        ----------
        population : mapping
            ``{variable: {category: count}}`` (margins) and/or ``{variable: total}``.
        method : {"linear", "raking", "logit"}
            GREG (linear), multiplicative raking, or bounded logit calibration.
        bounds : (float, float), optional
            Bounds on the calibration factors (needed for ``logit``).
        intercept : float, optional
            Population size when only numeric totals are given.

        Returns
        -------
        SurveyDesign
            See :func:`needs_analysis.design._calibration.calibrate_design`;
            agrees with R ``calibrate()``.
        """
        from ._calibration import calibrate_design

        return calibrate_design(self, population, method=method, bounds=bounds, intercept=intercept)

    def rake(self, margins, *, bounds=None) -> "SurveyDesign":
        """Rake the weights to population margins (``calibrate(method="raking")``).

        Parameters
        ----------
        margins : mapping
            ``{variable: {category: population count}}``.
        bounds : (float, float), optional
            Bounds on the raking factors.

        Returns
        -------
        SurveyDesign
            Raked design whose variances use the calibration residuals (R
            ``calibrate(calfun="raking")``; R ``rake()`` approximates the same
            limit by ten post-stratification sweeps).
        """
        return self.calibrate(margins, method="raking", bounds=bounds)

    def poststratify(self, variables, population, *, sep: str = ":") -> "SurveyDesign":
        """Post-stratify to known cell counts (R ``postStratify``).

        Parameters
        ----------
        variables : str or list of str
            Cell variable(s), crossed.
        population : mapping
            ``{cell: count}``; crossed cells joined with ``sep``.
        sep : str, default ":"

        Returns
        -------
        SurveyDesign
        """
        from ._calibration import poststratify_design

        return poststratify_design(self, variables, population, sep=sep)

    @property
    def calibrated(self) -> bool:
        """Whether the weights were calibrated on this design."""
        return bool(self._calibrations)

    # ------------------------------------------------------------ properties
    @property
    def data(self) -> pd.DataFrame:
        """A copy of the survey data."""
        return self._data.copy()

    @property
    def weights(self) -> np.ndarray:
        """The analysis weights (read-only array)."""
        return self._w

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self._w.shape[0])

    @property
    def lonely_psu(self) -> str:
        """The lonely-PSU option."""
        return self._plan.lonely_psu

    def degf(self) -> int:
        """Design degrees of freedom: PSUs minus strata (rows with non-zero weight)."""
        ins = self._w != 0
        return int(np.unique(self._psu1[ins]).size - np.unique(self._strata1[ins]).size)

    def __repr__(self) -> str:
        st = self._plan.stages[0]
        return (
            f"SurveyDesign(n={self.n}, strata={st.n_strata if self._has_strata else 0}, "
            f"psu={st.n_clusters}, stages={self._n_stages}, df={self.degf()}, lonely_psu={self.lonely_psu!r})"
        )

    def _variance_label(self) -> str:
        return f"Taylor linearisation, df={self.degf()}"

    # ------------------------------------------------------------ domains
    def subset(self, rows) -> "SurveyDesign":
        """Restrict estimation to a domain without dropping rows (R ``subset``).

        Parameters
        ----------
        rows : array-like of bool, pandas Series of bool, or str
            Domain membership (a boolean mask of length ``n``) or a
            :meth:`pandas.DataFrame.eval` expression such as ``"sex == 'F'"``.

        Returns
        -------
        SurveyDesign
            The same design with weights set to zero outside the domain; the
            strata, PSUs and fpc of the full sample are kept, so estimates equal
            those from ``by=``.
        """
        mask = self._row_mask(rows)
        return self._with_weights(np.where(mask, self._w, 0.0))

    # ------------------------------------------------------------ replicates
    def replicate(
        self,
        method: str = "jkn",
        *,
        replicates: int = 50,
        seed=None,
        mse: bool = False,
        fay_rho: float = 0.0,
        use_fpc: bool = True,
    ):
        """Convert to a replicate-weight design (R ``as.svrepdesign``).

        Parameters
        ----------
        method : {"jk1", "jkn", "bootstrap", "brr"}
            Jackknife (unstratified / stratified), Rao-Wu rescaling bootstrap
            (``replicates``, ``seed``), or BRR (two PSUs per stratum;
            ``fay_rho`` for Fay's method).
        replicates : int, default 50
            Bootstrap replicates.
        seed : int, optional
            Bootstrap seed (reproducible results).
        mse : bool, default False
            Centre the replicate variance at the full-sample estimate.
        fay_rho : float, default 0
        use_fpc : bool, default True
            Carry the first-stage fpc into the jackknife / bootstrap.

        Returns
        -------
        ReplicateDesign
            See :func:`needs_analysis.design._replicate.make_replicate_design`.
        """
        from ._replicate import make_replicate_design

        return make_replicate_design(
            self, method, replicates=replicates, seed=seed, mse=mse, fay_rho=fay_rho, use_fpc=use_fpc
        )

    # ------------------------------------------------------------ variance hooks
    def _scores(self, inp: RatioInput, core: RatioCore) -> np.ndarray:
        r, member = row_scores(self._w, inp, core)
        if not self._calibrations:
            return unit_scores(self._unit_of_row, self._plan.n_units, self._w, r, member, inp.codes, inp.n_domains)
        k = r.shape[1]
        rows = np.nonzero(member)[0]
        s = np.zeros((len(self._w), inp.n_domains * k))
        cols = inp.codes[rows][:, None] * k + np.arange(k)[None, :]
        s[rows[:, None], cols] = self._w[rows, None] * r[rows]
        return self._to_units(s)

    def _to_units(self, row_scores_: np.ndarray) -> np.ndarray:
        from scipy import sparse

        from ._calibration import apply_calibrations

        s = apply_calibrations(row_scores_, self._calibrations)
        n = len(self._w)
        agg = sparse.csr_matrix((np.ones(n), (self._unit_of_row, np.arange(n))), shape=(self._plan.n_units, n))
        return np.asarray(agg @ s)

    def _ratio_variance(self, inp: RatioInput, core: RatioCore, full: bool = False) -> np.ndarray:
        return taylor_vcov(self._scores(inp, core), self._plan, full=full, present=self._presence(inp, full))

    def _averages_lonely(self) -> bool:
        """Whether variances depend on the strata each estimator's rows cover (``lonely_psu="average"``).

        Not for calibrated designs: R subsets a calibrated design by zero
        weights, keeping every stratum, while other designs lose the rows
        outside the subsample.
        """
        return not self._calibrations and self._plan.averages_lonely()

    def _present_units(self, rows: np.ndarray) -> np.ndarray | None:
        """Finest units holding one of ``rows`` with a non-zero weight (``None`` when not needed)."""
        if not self._averages_lonely():
            return None
        rows = np.asarray(rows, dtype=bool) & (self._w != 0)
        return np.bincount(self._unit_of_row[rows], minlength=self._plan.n_units) > 0

    def _presence(self, inp: RatioInput, full: bool) -> np.ndarray | None:
        """Units present for each estimator: its domain's valid rows (one column for a covariance matrix).

        A covariance matrix (``full``) is R's ``svyrecvar`` on the whole design
        after missing values are dropped (``svyby(..., covmat=TRUE)``,
        ``svychisq``): every row with a value counts, whatever its domain.
        """
        if full or not self._averages_lonely():
            return self._present_units(inp.valid)
        rows = inp.member() & (self._w != 0)
        g = inp.n_domains
        idx = self._unit_of_row[rows] * g + inp.codes[rows]
        pres = (np.bincount(idx, minlength=self._plan.n_units * g) > 0).reshape(self._plan.n_units, g)
        return np.repeat(pres, inp.k, axis=1)  # columns g * K + k, as the scores

    def _model_vcov(self, influence: np.ndarray, rows: np.ndarray, refit, coef) -> np.ndarray:
        """Covariance of model coefficients: the Taylor variance of their influence rows.

        Parameters
        ----------
        influence : ndarray, shape (n, p)
            Row-level weighted influence values (estimating functions times
            the inverse Hessian), zero outside the fit.
        rows : ndarray of bool, shape (n,)
            Rows in the fit (for ``lonely_psu="average"``).
        refit, coef
            The replicate design's inputs (see ``ReplicateDesign._model_vcov``); unused here.

        Returns
        -------
        ndarray, shape (p, p)
        """
        units = self._to_units(np.asarray(influence, dtype=float))
        return taylor_vcov(units, self._plan, full=True, present=self._present_units(rows))

    def _domain_df(self, codes: np.ndarray, g: int) -> np.ndarray:
        ins = (codes >= 0) & (self._w != 0)
        c = codes[ins]
        npsu = int(self._psu1.max()) + 1
        nst = int(self._strata1.max()) + 1
        psu_pairs = np.unique(c * npsu + self._psu1[ins])
        st_pairs = np.unique(c * nst + self._strata1[ins])
        return (np.bincount(psu_pairs // npsu, minlength=g) - np.bincount(st_pairs // nst, minlength=g)).astype(float)
