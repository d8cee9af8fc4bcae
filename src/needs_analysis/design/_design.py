"""``SurveyDesign``: an immutable complex-sample design with Taylor-linearisation variances."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import NeedsAnalysisError
from ._base import Design
from ._calsteps import calibration_step, poststratification_step
from ._plan import LONELY_PSU_OPTIONS
from ._replicate import make_replicate_design
from ._structure import build_structure
from ._taylor import TaylorVariance

__all__ = ["SurveyDesign"]


class SurveyDesign(Design):
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
    Variances use Taylor linearisation (:func:`~._taylor.taylor_variance`):
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
        d = object.__getattribute__(self, "__dict__")
        d.update(_data=data, _weight_name=weights,
                 _spec=dict(weights=weights, strata=strata, psu=psu, fpc=fpc, nest=nest, lonely_psu=lonely_psu),
                 _w=st.w, _n_stages=st.n_stages, _has_strata=st.has_strata,
                 _variance=TaylorVariance(st.plan, st.unit_of_row, st.psu1, st.strata1, st.rows_are_units))

    def _with_weights(self, w: np.ndarray) -> "SurveyDesign":
        w = np.asarray(w, dtype=float).copy()
        w.setflags(write=False)
        return self._copy_with(_w=w)

    def with_weights(self, weights) -> "SurveyDesign":
        """The same design with other final weights, e.g. weights trimmed after the calibration.

        Parameters
        ----------
        weights : array-like, shape (n,)
            Non-negative finite weights, one per row.

        Returns
        -------
        SurveyDesign
            Same structure and calibration steps. In a calibrated design the
            variances use the residuals of the last calibration with these as
            its calibrated weights (the usual approximation after trimming:
            trimmed weights that still satisfy the margins), as R's
            ``trimWeights`` keeps a calibrated design's calibration.
        """
        w = np.asarray(weights, dtype=float)
        if w.shape != self._w.shape or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise NeedsAnalysisError(f"weights of shape {w.shape}", where="with_weights()",
                                     expected=f"{self.n} finite non-negative weights", fix="one weight per row")
        new = self._with_weights(w)
        if not self.calibrated:
            return new
        steps = self._variance.steps
        return new._copy_with(_variance=self._variance.with_last_step(steps[-1].with_final_weights(w)))

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
            Same design with calibrated weights; its Taylor variances use the
            residuals of the weighted regression of the scores on the
            auxiliary variables (Deville & Särndal 1992), as R
            ``calibrate()``. Categorical margins are handled on the cells of
            their cross-classification, so the iterations and the residuals
            cost O(cells) besides a few passes over the rows.

        References
        ----------
        Deville, J.-C. & Särndal, C.-E. (1992). Calibration estimators in
        survey sampling. *JASA*, 87, 376-382. Lumley, T., Shaw, P. A. & Dai,
        J. Y. (2011). Connections between survey calibration estimators and
        semiparametric models for incomplete data. *International Statistical
        Review*, 79, 200-220.
        """
        w, step = calibration_step(self._data, self._w, population, method, bounds, intercept)
        return self._with_weights(w)._copy_with(_variance=self._variance.with_step(step))

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
        w, step = poststratification_step(self._data, self._w, variables, population, sep)
        return self._with_weights(w)._copy_with(_variance=self._variance.with_step(step))

    @property
    def calibrated(self) -> bool:
        """Whether the weights were calibrated on this design."""
        return bool(self._variance.steps)

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
    def lonely_psu(self) -> str:
        """The lonely-PSU option."""
        return self._variance.plan.lonely_psu

    def __repr__(self) -> str:
        st = self._variance.plan.stages[0]
        return (
            f"SurveyDesign(n={self.n}, strata={st.n_strata if self._has_strata else 0}, "
            f"psu={st.n_clusters}, stages={self._n_stages}, df={self.degf()}, lonely_psu={self.lonely_psu!r})"
        )

    def _variance_label(self) -> str:
        return self._variance.label(self.degf())

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
        return make_replicate_design(
            self, method, replicates=replicates, seed=seed, mse=mse, fay_rho=fay_rho, use_fpc=use_fpc
        )
