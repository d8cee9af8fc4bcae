"""The estimation engine: ratio estimators of one or many variables by domain, and contrasts of two domains.

Every estimate of a design -- ``mean``, ``total``, ``ratio``, ``proportion``
(one variable or a list, as R ``svymean(~a + b)``), the distribution function
behind ``quantile``, the cell shares of ``chisq`` -- is a ratio of weighted
totals ``T_y / T_x`` computed here, domain by domain: the rows are sorted by
domain once and every domain is a contiguous block whose estimators are
matrix-vector products. The variance comes from the design's strategy, one per
design kind (:class:`~._taylor.TaylorVariance`,
:class:`~._repvar.ReplicateVariance`); the design effect from one formula
(:func:`~._taylor.srs_references`); the difference of two domains from one
contrast routine (:func:`contrast_parts`), which ``difference``, ``ttest`` and
the municipality comparison use.

Columns are processed a few at a time (:data:`CHUNK_CELLS`), so that many
variables at 100,000 rows never need a (rows x variables) block of each
intermediate at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np

from ._ci import proportion_ci, wald_ci
from ._domains import Domains
from ._estimators import RatioBlock, is_binary, ratio_block
from ._likelihood import profile_ci
from ._taylor import srs_references

__all__ = ["ColumnSet", "chunks", "domain_parts", "finish", "clean_variance", "sorted_by_domain", "domain_blocks",
           "contrast_parts", "design_effect", "CHUNK_CELLS"]

#: Cells (rows x columns) of one chunk of columns.
CHUNK_CELLS = 2_000_000


class ColumnSet:
    """A chunk of estimator columns.

    Parameters
    ----------
    names : list of str
        The variable of every column.
    levels : list
        The category of every column (``None`` for a numeric or 0/1 variable).
    y : ndarray, shape (n, k), optional
        Numerators, NaN where missing.
    x : ndarray, shape (n, k), optional
        Denominators of ratios, NaN where missing.
    cols : list of ndarray, optional
        The numerators column by column (contiguous), instead of ``y``.
    """

    def __init__(self, names: list[str], levels: list, y: np.ndarray | None = None, x: np.ndarray | None = None,
                 cols: list[np.ndarray] | None = None) -> None:
        self.names, self.levels, self.x = list(names), list(levels), x
        self._y, self._cols = y, cols

    @property
    def y(self) -> np.ndarray:
        """Numerators (n, k)."""
        if self._y is None:
            self._y = np.column_stack(self._cols)
        return self._y

    @property
    def cols(self) -> list[np.ndarray]:
        """Numerators as contiguous columns."""
        if self._cols is None:
            self._cols = [np.ascontiguousarray(self._y[:, j]) for j in range(self._y.shape[1])]
        return self._cols

    @property
    def k(self) -> int:
        """Number of columns."""
        return len(self.names)

    def subset(self, columns: np.ndarray) -> "ColumnSet":
        """The given columns."""
        return ColumnSet([self.names[j] for j in columns], [self.levels[j] for j in columns],
                         cols=[self.cols[j] for j in columns])

    def binary(self) -> np.ndarray:
        """Columns whose values are all 0, 1 or missing (k,)."""
        return np.array([is_binary(c) for c in self.cols], dtype=bool)

    def valid(self, na_rm: bool) -> np.ndarray:
        """Base membership (n, k): a value (and a denominator) present, or every row without ``na_rm``."""
        if not na_rm:
            return np.ones(self.y.shape, dtype=bool)
        ok = ~np.isnan(self.y)
        return ok if self.x is None else ok & ~np.isnan(self.x)


def chunks(readers: Sequence[Callable[[], ColumnSet]], n: int) -> Iterator[ColumnSet]:
    """Column sets of about :data:`CHUNK_CELLS` cells from one reader per variable, in order."""
    limit = max(1, CHUNK_CELLS // max(n, 1))
    pending: list[ColumnSet] = []
    width = 0
    for read in readers:
        cs = read()
        pending.append(cs)
        width += cs.k
        if width >= limit:
            yield _join(pending)
            pending, width = [], 0
    if pending:
        yield _join(pending)


def _join(parts: list[ColumnSet]) -> ColumnSet:
    if len(parts) == 1:
        return parts[0]
    names = [nm for p in parts for nm in p.names]
    levels = [lv for p in parts for lv in p.levels]
    if parts[0].x is not None:
        return ColumnSet(names, levels, np.hstack([p.y for p in parts]), np.hstack([p.x for p in parts]))
    return ColumnSet(names, levels, cols=[c for p in parts for c in p.cols])


def sorted_by_domain(codes: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
    """Row order grouping the domains (rows without a domain dropped) and block bounds."""
    if g == 1 and np.all(codes == 0):
        return np.arange(codes.size), np.array([0, codes.size])
    keep = np.flatnonzero(codes >= 0)
    order = keep[np.argsort(codes[keep], kind="stable")]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes[keep], minlength=g))])
    return order, bounds


def domain_blocks(w: np.ndarray, y: np.ndarray, valid: np.ndarray, x: np.ndarray | None, codes: np.ndarray,
                  g: int, kind: str, only: Sequence[int] | None = None) -> Iterator[tuple[int, RatioBlock]]:
    """``(domain, RatioBlock)`` for every domain (or the domains in ``only``)."""
    order, bounds = sorted_by_domain(codes, g)
    identity = order.size == w.size and bounds.size == 2
    for gi in range(g) if only is None else only:
        if identity:
            yield gi, ratio_block(order, w, y, valid, x, kind, identity=True)
            continue
        rows = order[bounds[gi]:bounds[gi + 1]]
        yield gi, ratio_block(rows, w[rows], y[rows], valid[rows], None if x is None else x[rows], kind)


def domain_parts(design, cs: ColumnSet, dom: Domains, kind: str, na_rm: bool,
                 full: bool = False) -> dict[str, np.ndarray]:
    """Estimates, variances and design-effect pieces (G, k) of a chunk of columns by domain.

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    cs : ColumnSet
    dom : Domains
    kind : {"proportion", "mean", "total", "ratio"}
    na_rm : bool
        Rows with a missing value are outside the base (else they make the
        domain's estimate missing).
    full : bool
        Also return ``cov``, the covariance matrix of the (single) domain's
        estimators (``G`` must be 1).

    Returns
    -------
    dict
        ``est, var, ss, psum, n`` (G, k).
    """
    w, variance = design._w, design._variance
    g = dom.n_domains
    if kind == "proportion" and na_rm and not full and variance.binary_route():
        parts = variance.binary_parts(w, dom.codes, g, cs.cols)
        redo = np.flatnonzero(~parts["exact"].all(axis=0) & ~np.isnan(parts["est"]).all(axis=0))
        if redo.size:  # variances the closed form would get wrong by cancellation: from the scores
            again = domain_parts(design, cs.subset(redo), dom, "mean", na_rm)
            for key in ("var", "ss"):
                parts[key][:, redo] = np.where(parts["exact"][:, redo], parts[key][:, redo], again[key])
        return parts
    valid = cs.valid(na_rm)
    est_kind = "mean" if kind == "proportion" else kind
    out = {name: np.full((g, cs.k), np.nan) for name in ("est", "var", "ss", "psum")}
    out["n"] = np.zeros((g, cs.k), dtype=np.int64)
    for gi, block in domain_blocks(w, cs.y, valid, cs.x, dom.codes, g, est_kind):
        out["est"][gi] = block.est
        out["n"][gi] = block.count().astype(np.int64)
        if full:
            out["cov"] = variance.variance(block, full=True)
            out["var"][gi] = np.diag(out["cov"])
        else:
            out["var"][gi] = variance.variance(block)
        out["ss"][gi], out["psum"][gi] = block.srs_pieces()
    return out


def design_effect(var: np.ndarray, ss: np.ndarray, psum: np.ndarray, n: np.ndarray, deff) -> np.ndarray:
    """Design effect: the variance over the SRS variance without (``True``) or with (``"replace"``) replacement."""
    wor, wr = srs_references(ss, psum, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        if deff == "replace":
            return var / wr
        return var / wor if deff else np.full_like(var, np.nan)


def finish(design, cs: ColumnSet, dom: Domains, parts: dict, *, deff, level: float, dfv: np.ndarray,
           method: str | None = None, na_rm: bool = True) -> dict[str, np.ndarray]:
    """Clean variances, design effects and confidence intervals (G, k) of :func:`domain_parts`.

    ``method`` is the proportion interval (``None``: Wald).
    """
    est = parts["est"]
    var = clean_variance(parts["var"], est)
    d = design_effect(var, parts["ss"], parts["psum"], parts["n"], deff)
    se = np.sqrt(var)
    dfk = np.broadcast_to(dfv[:, None], est.shape)
    if method is None:
        lo, hi = wald_ci(est, se, dfk, level)
    else:
        w = design._w
        in_dom = (dom.codes >= 0) & (w != 0)
        n_design = np.bincount(dom.codes[in_dom], minlength=dom.n_domains)[:, None].astype(float)
        lik = _likelihood(w, cs, dom, var, dfk, level, na_rm) if method == "likelihood" else None
        lo, hi = proportion_ci(method, est, se, dfk, parts["n"].astype(float), level, likelihood=lik,
                               n_design=np.broadcast_to(n_design, est.shape))
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = se / np.abs(est)
    return {"estimate": est, "se": se, "ci_low": lo, "ci_high": hi, "n": parts["n"], "deff": d, "cv": cv}


def _likelihood(w, cs: ColumnSet, dom: Domains, var, dfk, level, na_rm):
    valid = cs.valid(na_rm)

    def cb(i):
        gi, k = i
        in_dom = dom.codes == gi
        rows = in_dom & valid[:, k]
        return profile_ci(cs.y[rows, k], w[rows], float(np.mean(w[in_dom])), float(var[i]), float(dfk[i]), level)

    return cb


def clean_variance(var: np.ndarray, est: np.ndarray) -> np.ndarray:
    """Variances as reported: rounding noise of a structurally zero variance -> 0, none without an estimate."""
    var = np.where(var < (1e-13 * np.abs(est)) ** 2, 0.0, var)  # e.g. the share of a stratum
    return np.where(np.isnan(est), np.nan, var)


def contrast_parts(design, cs: ColumnSet, dom: Domains, first: int, second: int, na_rm: bool,
                   present_rows: np.ndarray | None) -> dict[str, np.ndarray]:
    """Difference ``est(first) - est(second)`` of two domains' means, and its variance, per column (k,).

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    cs : ColumnSet
        Numeric or 0/1 columns.
    dom : Domains
    first, second : int
        The two domains.
    na_rm : bool
    present_rows : ndarray of bool (n,) or (n, k), optional
        Rows whose strata count for ``lonely_psu="average"`` (default: the
        domains' base rows).

    Returns
    -------
    dict
        ``estimate, var, n`` (k,), ``n`` the base rows of both domains.

    Notes
    -----
    ``V(a - b) = SE(a)^2 + SE(b)^2 - 2 Cov(a, b)`` with the two domain
    estimates' SEs as :meth:`mean` reports them and their covariance from
    the same variance routine (zero when the domains share no stratum and
    every row is a cluster): R ``svycontrast(svyby(..., covmat=TRUE),
    c(1, -1))``, which assembles it from the covariance matrix in the same
    way (so that of two nearly identical estimates keeps about half the
    digits of their variances).
    """
    w, variance = design._w, design._variance
    est1, est2, var1, var2, cov = (np.full(cs.k, np.nan) for _ in range(5))
    n = np.zeros(cs.k, dtype=np.int64)
    closed = np.zeros(cs.k, dtype=bool)
    if na_rm and variance.binary_route():
        closed = cs.binary()
    if closed.any():
        cols = np.flatnonzero(closed)
        p = domain_parts(design, cs.subset(cols), dom, "proportion", na_rm)
        est1[cols], est2[cols] = p["est"][first], p["est"][second]
        var1[cols], var2[cols] = p["var"][first], p["var"][second]
        cov[cols] = variance.moments_covariance(p["s_h"][first], p["s_h"][second])
        n[cols] = p["n"][first] + p["n"][second]
    rest = np.flatnonzero(~closed)
    if rest.size:
        y = cs.subset(rest).y
        valid = ~np.isnan(y) if na_rm else np.ones(y.shape, dtype=bool)
        blocks = dict(domain_blocks(w, y, valid, None, dom.codes, dom.n_domains, "mean", only=(first, second)))
        b1, b2 = blocks[first], blocks[second]
        pres = present_rows[:, rest] if present_rows is not None and present_rows.ndim == 2 else present_rows
        est1[rest], est2[rest] = b1.est, b2.est
        var1[rest] = variance.variance(b1, present_rows=pres)
        var2[rest] = variance.variance(b2, present_rows=pres)
        cov[rest] = variance.covariance_pairs(b1, b2, pres)
        n[rest] = (b1.count() + b2.count()).astype(np.int64)
    se1, se2 = np.sqrt(clean_variance(var1, est1)), np.sqrt(clean_variance(var2, est2))
    return {"estimate": est1 - est2, "var": se1**2 + se2**2 - 2 * cov, "n": n}
