"""Finding near-duplicate submissions without comparing every pair.

The definitions are those of :func:`needs_analysis.clean._checks.check_near_duplicates`;
this module finds exactly the pairs that comparing each submission with every earlier
one would find, in about O(n log n) time on survey data instead of O(n²):

* same device: for each submission, the earliest earlier submission from the same
  device started within the window (a range-minimum query over the device's
  submissions sorted by start time);
* answers: for each submission, the earlier one agreeing on the largest share of the
  items both answered (at least ``min_items`` items, share at least ``share``),
  from candidate pairs found by hashing blocks of answers (the pigeonhole
  principle, below) and checked exactly.

Notes
-----
Two submissions that both answered ``n`` items and agree on a share ``s`` of them
disagree on at most ``M(n) = max{m : (n - m)/n >= s}`` items, so at most ``M`` (the
largest ``M(n)`` for ``min_items <= n <= K``, K items compared) disagreements among
any columns that both answered. The columns answered by nearly every submission
(at most 2 % blanks; the questions everyone is asked) are split into ``B = M + r``
blocks; a pair answering all of them disagrees on at most ``M`` blocks, so it agrees
exactly on at least ``r`` blocks and shares the hash of some ``r``-subset of blocks.
Every pair sharing such a hash is compared exactly. A submission blank in ``z``
blocks is looked up with subsets of ``r - z`` blocks; pairs of submissions with
blanks in blocks are compared one by one. When the blocks cannot tell rows apart
(fewer than ``M + 1`` such columns, a low share making ``M`` large, or so many
rows with blanks that the candidates would be over half of all pairs) every
pair is compared, as before: O(n²) again, but only for such data or settings.
Submissions identical on every compared item are searched once.

This is the blocking idea of record linkage (Christen 2012, ch. 4) made exact
with the pigeonhole bound used for Hamming-distance search (Manku, Jain and Das
Sarma 2007).

References
----------
Christen, P. (2012). *Data Matching*. Springer.
Manku, G. S., Jain, A. and Das Sarma, A. (2007). Detecting near-duplicates for web
crawling. *Proceedings of WWW 2007*, 141-150.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

__all__ = ["device_matches", "answer_matches", "mismatch_limit", "first_identical"]

#: columns with at most this share of blanks are used for blocking
_BLOCK_MISSING = 0.02
#: columns per hashed key aimed at (fewer give many candidate pairs, more give many keys)
_KEY_COLUMNS = 16
#: most hashed keys (subsets of blocks)
_MAX_KEYS = 120
#: candidate pairs checked at once (memory: pairs x columns)
_CHUNK = 65_536
#: fixed odd multipliers (splitmix64 of 1, 2, ...): the hashes, and so the candidate pairs, are deterministic
_MASK = (1 << 64) - 1
_INT64_MAX = (1 << 63) - 1


def _splitmix(k: int) -> int:
    z = (k * 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return (z ^ (z >> 31)) | 1


def _column_multipliers(k: int) -> np.ndarray:
    return np.array([_splitmix(c + 1) for c in range(k)], dtype=np.uint64)


def _hash_rows(mat: np.ndarray, cols, mult: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row's values in ``cols`` (column by column: no n x K temporaries)."""
    out = np.zeros(len(mat), dtype=np.uint64)
    for c in cols:
        out += (mat[:, c].astype(np.int64) + 1).astype(np.uint64) * mult[c]  # wraps around, as intended
    return out


def first_identical(mat: np.ndarray) -> np.ndarray:
    """For each row, the first row with the same value in every column (the row itself when none is earlier).

    Rows are grouped by a 64-bit hash of their values and checked against the
    group's first row; should two different rows share a hash, the rows are
    sorted instead (same answer, O(n log n)).
    """
    n, k = mat.shape
    if n == 0:
        return np.empty(0, dtype=np.int64)
    codes = pd.factorize(_hash_rows(mat, range(k), _column_multipliers(k)))[0]
    first = np.unique(codes, return_index=True)[1][codes]  # first row of each hash
    later = np.flatnonzero(first != np.arange(n))
    if not (mat[later] == mat[first[later]]).all():
        _u, idx, inverse = np.unique(mat, axis=0, return_index=True, return_inverse=True)
        first = idx[inverse.reshape(-1)]
    return first


# ---------------------------------------------------------------- same device
def _sparse_min(values: np.ndarray):
    """Range-minimum queries on ``values``: returns ``query(lo, hi)`` for non-empty ranges ``[lo, hi)``."""
    levels = [values]
    span = 1
    while 2 * span <= len(values):
        prev = levels[-1]
        levels.append(np.minimum(prev[:-span], prev[span:]))
        span *= 2

    def query(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        k = np.floor(np.log2(hi - lo)).astype(np.int64)
        out = np.empty(len(lo), dtype=values.dtype)
        for level in np.unique(k):
            sel = k == level
            tab = levels[level]
            out[sel] = np.minimum(tab[lo[sel]], tab[hi[sel] - (1 << level)])
        return out

    return query


def _window_ns(window_minutes: float) -> int:
    """Largest gap in nanoseconds ``d`` with ``d / 60e9 <= window`` in float arithmetic (as numpy divides)."""
    w = float(window_minutes)
    if math.isnan(w) or w < 0:
        return -1
    if w * 6e10 >= _INT64_MAX:
        return _INT64_MAX
    d = int(math.floor(w * 6e10))
    while (d + 1) / 6e10 <= w:
        d += 1
    while d >= 0 and d / 6e10 > w:
        d -= 1
    return d


def device_matches(device: np.ndarray, start: np.ndarray, window_minutes: float) -> np.ndarray:
    """For each submission, the earliest earlier one from the same device started within the window.

    Parameters
    ----------
    device : ndarray of int
        Device of each submission as a code (-1: unknown), in submission order.
    start : ndarray of datetime64[ns]
        Start times (NaT: unknown; such a submission matches nothing).
    window_minutes : float
        Largest gap in minutes, ``|start_a - start_b| / 1 min <= window``.

    Returns
    -------
    ndarray of int
        Position of the match, or -1.
    """
    n = len(device)
    out = np.full(n, -1, dtype=np.int64)
    d = _window_ns(window_minutes)
    valid = (device >= 0) & ~np.isnat(start)
    pos = np.flatnonzero(valid)
    if d < 0 or len(pos) < 2:
        return out
    t = start[pos].astype(np.int64)
    g = device[pos].astype(np.int64)
    order = np.lexsort((pos, t, g))  # by device, then start time
    pos, t, g = pos[order], t[order], g[order]
    # one sortable key per submission: device, then the rank of its start time among all start times
    all_t = np.sort(t)
    width = np.int64(len(t) + 1)
    key = g * width + np.searchsorted(all_t, t, side="left")
    with np.errstate(over="ignore"):  # t -/+ d saturated at the ends of int64 (a window of years)
        low = np.where(t < -_INT64_MAX + d, -_INT64_MAX, t - d)
        high = np.where(t > _INT64_MAX - d, _INT64_MAX, t + d)
    lo_rank = np.searchsorted(all_t, low, side="left")  # a start >= t - d has rank >= this
    hi_rank = np.searchsorted(all_t, high, side="right")  # a start <= t + d has rank < this
    lo = np.searchsorted(key, g * width + lo_rank, side="left")
    hi = np.searchsorted(key, g * width + hi_rank, side="left")
    first = _sparse_min(pos)(lo, hi)  # each range holds the submission itself
    hit = first < pos
    out[pos[hit]] = first[hit]
    return out


# ---------------------------------------------------------------- answers
def mismatch_limit(min_items: int, share: float, n_items: int) -> int:
    """Most disagreements a pair of near-duplicates can have (-1: no pair can qualify).

    The largest ``m`` with ``(n - m) / n >= share`` for some ``n`` between
    ``max(min_items, 1)`` and ``n_items``, computed as the check computes shares.
    """
    best = -1
    for n in range(max(int(min_items), 1), n_items + 1):
        m = n
        while m >= 0 and not ((n - m) / n >= share):
            m -= 1
        best = max(best, m)
    return best


class _Hits:
    """Checks candidate pairs exactly as they come and keeps the qualifying ones as ``(earlier, later)``."""

    def __init__(self, mat: np.ndarray, pres: np.ndarray, min_items: int, share: float):
        self.mat, self.pres, self.min_items, self.share = mat, pres, min_items, share
        self.parts: list[np.ndarray] = []

    def add(self, a: np.ndarray, b: np.ndarray) -> None:
        """Check the pairs of rows ``(a[i], b[i])``."""
        for lo in range(0, len(a), _CHUNK):
            x, y = a[lo:lo + _CHUNK], b[lo:lo + _CHUNK]
            both = self.pres[x] & self.pres[y]
            self._keep(x, y, ((self.mat[x] == self.mat[y]) & both).sum(axis=1), both.sum(axis=1))

    def add_row(self, i: int, pool: np.ndarray) -> None:
        """Check row ``i`` against every row of ``pool``."""
        for lo in range(0, len(pool), _CHUNK):
            x = pool[lo:lo + _CHUNK]
            both = self.pres[x] & self.pres[i]
            self._keep(x, np.full(len(x), i), ((self.mat[x] == self.mat[i]) & both).sum(axis=1), both.sum(axis=1))

    def _keep(self, x, y, same, both) -> None:
        # the check's own test: share = same / both (0 when nothing in common), both >= min_items
        share = np.divide(same, both, out=np.zeros(len(x)), where=both > 0)
        hit = (both >= self.min_items) & (share >= self.share) & (x != y)
        if hit.any():
            x, y = x[hit], y[hit]
            self.parts.append(np.stack([np.minimum(x, y), np.maximum(x, y), same[hit], both[hit]], axis=1))

    def result(self) -> np.ndarray:
        """Qualifying pairs: rows ``earlier, later, same, both``, each pair once."""
        if not self.parts:
            return np.empty((0, 4), dtype=np.int64)
        return np.unique(np.concatenate(self.parts).astype(np.int64), axis=0)


def _runs(keys: np.ndarray, rows: np.ndarray):
    """Rows grouped by equal key (groups of two or more), each group in ascending row order."""
    order = np.lexsort((rows, keys))
    ks, rs = keys[order], rows[order]
    starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
    sizes = np.diff(np.r_[starts, len(ks)])
    return rs, starts[sizes > 1], sizes[sizes > 1]


def _pairs_within(rs: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs ``(earlier, later)`` inside each group of ``rs[start:start + size]``."""
    if not len(starts):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    offset = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)  # place within the group
    idx = np.repeat(starts, sizes) + offset
    later = np.repeat(idx, offset)  # each grouped row, once per earlier row of its group
    earlier = np.repeat(np.repeat(starts, sizes), offset) + (np.arange(len(later))
                                                             - np.repeat(np.cumsum(offset) - offset, offset))
    return rs[earlier], rs[later]


def _key_plan(n_cols: int, limit: int) -> int:
    """Blocks per hashed key ``r``: enough columns per key, a bounded number of keys, every block non-empty."""
    r = 1
    while (r * n_cols / (limit + r) < _KEY_COLUMNS and r + 1 <= n_cols - limit
           and math.comb(limit + r + 1, r + 1) <= _MAX_KEYS):
        r += 1
    return r


def answer_matches(mat: np.ndarray, min_items: int, share: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row, the earlier row it is a near-duplicate of.

    Parameters
    ----------
    mat : ndarray of int, shape (n, K)
        Answers as codes per column (-1: blank), rows in submission order.
    min_items : int
        Fewest items both rows answered.
    share : float
        Smallest share of the items both answered with equal answers.

    Returns
    -------
    match, same, n_both : ndarray of int
        For each row, the earlier row with the largest share of equal answers
        among those qualifying (the first such row on ties), or -1; and the
        number of equal answers and of items both answered.
    """
    n, k = mat.shape
    match = np.full(n, -1, dtype=np.int64)
    same_out = np.zeros(n, dtype=np.int64)
    both_out = np.zeros(n, dtype=np.int64)
    limit = mismatch_limit(min_items, share, k)
    if n < 2 or k == 0 or limit < 0:
        return match, same_out, both_out
    # rows identical on every item are searched once, through their first occurrence
    rep_of = first_identical(mat)
    reps = np.flatnonzero(rep_of == np.arange(n))
    rmat = mat[reps] if mat.dtype.itemsize <= 4 or mat.max(initial=0) >= 2**31 - 1 else mat[reps].astype(np.int32)
    hits = _Hits(rmat, rmat >= 0, min_items, share)
    _search(hits, min_items, share, limit)
    found = hits.result()
    if len(found):
        a, b, same, both = found.T
        share_ab = np.divide(same, both, out=np.zeros(len(a)), where=both > 0)
        order = np.lexsort((a, -share_ab, b))  # per later row: largest share, then earliest row
        b_sorted = b[order]
        best = order[np.r_[True, b_sorted[1:] != b_sorted[:-1]]]
        later = reps[b[best]]
        match[later], same_out[later], both_out[later] = reps[a[best]], same[best], both[best]
    # later copies of a row: their best match is the row's own if that agrees on every item, else the row
    copies = np.flatnonzero(rep_of != np.arange(n))
    if len(copies):
        r = rep_of[copies]
        answered = (mat[r] >= 0).sum(axis=1)
        own_share = np.where(answered > 0, 1.0, 0.0)  # a row with itself (0 when it answered nothing)
        itself = (answered >= min_items) & (own_share >= share)
        best_share = np.divide(same_out[r], both_out[r], out=np.zeros(len(r)), where=both_out[r] > 0)
        full = (match[r] >= 0) & (best_share == own_share)  # as good as the row itself, and earlier
        take = itself & ~full
        match[copies] = np.where(full, match[r], np.where(take, r, -1))
        same_out[copies] = np.where(full, same_out[r], np.where(take, answered, 0))
        both_out[copies] = np.where(full, both_out[r], np.where(take, answered, 0))
    return match, same_out, both_out


class _BlockKeys:
    """Hashes of subsets of column blocks, and the candidate pairs sharing one (positions into ``active``)."""

    def __init__(self, hits: _Hits, active: np.ndarray, cols: np.ndarray, limit: int):
        mat, pres = hits.mat, hits.pres
        self.r = _key_plan(len(cols), limit)
        self.n_blocks = limit + self.r
        # most varied columns first, dealt round-robin, so that each block mixes informative and plain items
        distinct = np.array([len(np.unique(mat[active, c])) for c in cols])
        cols = cols[np.argsort(-distinct, kind="stable")]
        blocks = [cols[b::self.n_blocks] for b in range(self.n_blocks)]
        mult = _column_multipliers(mat.shape[1])
        sub = mat[active]
        self.hash = np.stack([_hash_rows(sub, bl, mult) for bl in blocks], axis=1)
        self.complete = np.stack([pres[np.ix_(active, bl)].all(axis=1) for bl in blocks], axis=1)
        self.blanks = self.n_blocks - self.complete.sum(axis=1)  # blocks with a blank, per row
        self.subset_mult = np.array([_splitmix(1000 + b) for b in range(self.n_blocks)], dtype=np.uint64)

    def groups(self):
        """``(size, runs)`` for every subset of blocks that can hold a qualifying pair.

        A pair blank in ``z_i + z_j`` blocks agrees on at least ``r - z_i - z_j``
        complete blocks: subsets of ``r`` blocks pair rows without blanks; smaller
        subsets pair rows blank in ``r - size`` blocks with rows without blanks
        (pairs of two rows with blanks are compared one by one).
        """
        z, r = self.blanks, self.r
        for size in range(r, 0, -1):
            for subset in itertools.combinations(range(self.n_blocks), size):
                s = list(subset)
                ok = self.complete[:, s].all(axis=1)
                if size < r:
                    ok &= (z == 0) | (z == r - size)
                    if not (ok & (z > 0)).any():
                        continue
                rows = np.flatnonzero(ok)
                if len(rows) > 1:
                    key = (self.hash[rows][:, s] * self.subset_mult[s]).sum(axis=1, dtype=np.uint64)
                    yield size, _runs(key, rows)


def _search(hits: _Hits, min_items: int, share: float, limit: int) -> None:
    """Check every candidate pair of ``hits``' rows; every qualifying pair is among them (module notes)."""
    pres = hits.pres
    # with fewer answers a row can never qualify, unless pairs without any item in common do
    nothing_in_common = min_items <= 0 and 0.0 >= share
    active = np.flatnonzero(pres.sum(axis=1) >= (0 if nothing_in_common else max(int(min_items), 1)))
    if len(active) < 2:
        return
    blanks = (~pres[active]).sum(axis=0)
    cols = np.flatnonzero(blanks <= _BLOCK_MISSING * len(active))
    if len(cols) > limit and not nothing_in_common and _blocked(hits, active, _BlockKeys(hits, active, cols, limit)):
        return
    # too few columns answered by (nearly) everyone, or blocks too short to tell rows apart (a low share):
    # compare every pair
    for pos, i in enumerate(active[1:], start=1):
        hits.add_row(i, active[:pos])


def _blocked(hits: _Hits, active: np.ndarray, keys: _BlockKeys) -> bool:
    """Check the pairs the block keys give; False (work left undone) when they are over half of all pairs."""
    z, r = keys.blanks, keys.r
    heavy = np.flatnonzero(z >= r)  # blank in too many blocks: compared with every row
    light = np.flatnonzero((z > 0) & (z < r))  # pairs of two such rows: compared one by one
    budget = len(active) * (len(active) - 1) // 4 - len(heavy) * len(active) - len(light) ** 2 // 2
    if budget < 0:
        return False
    for size, (rs, starts, sizes) in keys.groups():
        budget -= int((sizes * (sizes - 1) // 2).sum())
        if budget < 0:
            return False
        a, b = _pairs_within(rs, starts, sizes)
        if size < r:
            keep = (z[a] > 0) != (z[b] > 0)
            a, b = a[keep], b[keep]
        hits.add(active[a], active[b])
    for pos in heavy:
        hits.add_row(active[pos], active)
    for j, pos in enumerate(light):
        hits.add_row(active[pos], active[light[:j]])
    return True
