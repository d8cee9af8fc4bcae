"""The fast cleaning steps give exactly what the old quadratic / row-by-row code gave.

The old implementations are kept here, unchanged, as the reference: the
near-duplicate check compared every submission with every earlier one, the
exact-duplicate check built one tuple per row, and ``apply_log`` wrote one cell
at a time. Each new implementation is compared with them on the demo exports,
on a synthetic export with many planted near-duplicates and on random data.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import needs_analysis.clean as clean_pkg
from needs_analysis import _xlsform_expr
from needs_analysis.clean import _checks, _near
from needs_analysis.clean._checks import CleaningContext
from needs_analysis.clean._log import LOG_COLUMNS, empty_log, log_rows
from needs_analysis.codebook import load_codebook
from needs_analysis.errors import NeedsAnalysisError
from needs_analysis.harmonise import ID_COLUMN, harmonise
from needs_analysis.io import read_raw

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "broken"))
from builders import random_respondents, to_export  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- the old implementations (reference)
def _old_answer_matrix(df, cols):
    mat = np.empty((len(df), len(cols)), dtype=np.int64)
    for j, c in enumerate(cols):
        mat[:, j] = pd.factorize(df[c].astype(object), use_na_sentinel=True)[0]
    return mat


def _old_order(df):
    if "_submission_time" not in df.columns:
        return df.sort_values(ID_COLUMN, kind="stable")
    key = df["_submission_time"].astype(str)
    return df.assign(_key=key).sort_values(["_key", ID_COLUMN], kind="stable").drop(columns="_key")


def _old_exact_duplicates(df, ctx):
    cols = [c for c in ctx.question_columns if c in df.columns]
    order = _old_order(df)
    key = pd.Series([tuple(r) for r in _old_answer_matrix(order, cols)], index=order.index)
    dup = key.duplicated(keep="first")
    first_of = dict(zip(key[~dup], order.loc[~dup, ID_COLUMN]))
    originals = [first_of[k] for k in key[dup]]
    return log_rows(order.loc[dup, ID_COLUMN], check_id="duplicate_exact", action="drop_respondent",
                    variable="", old=originals, reason="exact duplicate submission (old_value: the copy kept)")


def _old_answer_pairs(mat, min_items, share):
    """For each row i: the earlier j with the largest share among qualifying ones, as the old loop found it."""
    n = len(mat)
    present = mat >= 0
    out = np.full(n, -1), np.zeros(n, int), np.zeros(n, int)
    for i in range(1, n):
        both = present[:i] & present[i]
        n_both = both.sum(axis=1)
        same = ((mat[:i] == mat[i]) & both).sum(axis=1)
        sh = np.divide(same, n_both, out=np.zeros(i), where=n_both > 0)
        hit = np.flatnonzero((n_both >= min_items) & (sh >= share))
        if len(hit):
            j = hit[np.argmax(sh[hit])]
            out[0][i], out[1][i], out[2][i] = j, same[j], n_both[j]
    return out


def _old_device_pairs(device, times, window):
    out = np.full(len(device), -1)
    for a in range(len(device)):
        if device[a] < 0:
            continue
        for b in range(a):
            if device[b] == device[a] and abs((times[a] - times[b]) / np.timedelta64(1, "m")) <= window:
                out[a] = b
                break
    return out


def _old_near_duplicates(df, ctx):
    order = _old_order(df)
    ids = order[ID_COLUMN].to_numpy(dtype=object)
    flagged = {}
    if "device_id" in order.columns and "start" in order.columns:
        start = pd.to_datetime(order["start"].astype(str), errors="coerce", utc=True, format="mixed")
        dev = order["device_id"].astype(object)
        for _, g in order[dev.notna()].groupby(dev[dev.notna()], sort=False):
            if len(g) < 2:
                continue
            pos = [order.index.get_loc(i) for i in g.index]
            times = start.iloc[pos].to_numpy()
            for a in range(1, len(pos)):
                for b in range(a):
                    gap = abs((times[a] - times[b]) / np.timedelta64(1, "m"))
                    if gap <= ctx.device_window_minutes and ids[pos[a]] not in flagged:
                        flagged[ids[pos[a]]] = (ids[pos[b]], f"same device as {ids[pos[b]]}, started "
                                                f"{gap:.0f} min apart")
    cols = [c for c in ctx.question_columns if c in df.columns and "/" not in c
            and ctx.codebook.variable(c).type != "text"] if len(order) > 1 else []
    if cols:
        mat = _old_answer_matrix(order, cols)
        match, same, n_both = _old_answer_pairs(mat, ctx.near_duplicate_min_items, ctx.near_duplicate_share)
        for i in np.flatnonzero(match >= 0):
            if ids[i] not in flagged:
                j = match[i]
                flagged[ids[i]] = (ids[j], f"answers identical to {ids[j]} on {same[i]} of {n_both[i]} items")
    if not flagged:
        return empty_log()
    rid = list(flagged)
    return log_rows(rid, check_id="duplicate_near", action="flag", variable="",
                    old=[flagged[r][0] for r in rid], reason=[f"near-duplicate: {flagged[r][1]}" for r in rid])


def _old_apply_log(data, log):
    out = data.copy()
    ids = pd.Index(out[ID_COLUMN].astype(str))
    drop = set()
    for i, row in enumerate(log.itertuples(index=False), start=2):
        rid = str(row.respondent_id).strip()
        var = "" if pd.isna(row.variable) else str(row.variable).strip()
        action = str(row.action).strip()
        where = f"cleaning log, row {i}"
        if rid not in ids:
            raise NeedsAnalysisError(f"unknown respondent id {rid!r}", where=where)
        if action == "drop_respondent":
            drop.add(rid)
        elif action in ("set_missing", "change_value"):
            if var not in out.columns:
                raise NeedsAnalysisError(f"unknown variable {var!r}", where=where)
            pos = ids.get_loc(rid)
            new = row.new_value
            blank = action == "set_missing" or pd.isna(new) or str(new).strip() == ""
            if blank:
                value = np.nan
            elif pd.api.types.is_numeric_dtype(out[var]):
                value = pd.to_numeric(str(new).strip().replace(",", "."), errors="coerce")
                if pd.isna(value):
                    raise NeedsAnalysisError(f"new_value {new!r} is not a number", where=where)
            else:
                value = str(new).strip()
            out.iloc[pos, out.columns.get_loc(var)] = value
            subs = [c for c in out.columns if isinstance(c, str) and c.startswith(f"{var}/")]
            picked = set(str(value).split()) if not blank else set()
            for sc in subs:
                out.iloc[pos, out.columns.get_loc(sc)] = np.nan if blank else float(sc.split("/", 1)[1] in picked)
        elif action != "flag":
            raise NeedsAnalysisError(f"unknown action {action!r}", where=where)
    return out[~out[ID_COLUMN].astype(str).isin(drop)].reset_index(drop=True)


_OLD = {_checks.check_near_duplicates: _old_near_duplicates, _checks.check_exact_duplicates: _old_exact_duplicates}


@pytest.fixture(scope="module")
def cb():
    return load_codebook()


def _context(h, cb, **options):
    qcols = tuple(c for c in h.data.columns if c not in _checks.QUESTION_META)
    return CleaningContext(municipality="kaunas", question_columns=qcols, unmapped=h.unmapped, codebook=cb,
                           recode_table=clean_pkg.read_recode_table(None, cb), **options)


def _both_ways(monkeypatch, h, municipality, cb, **options):
    new = clean_pkg.clean(h, municipality, codebook=cb, **options)
    monkeypatch.setattr(clean_pkg, "CHECKS", tuple((k, _OLD.get(f, f)) for k, f in clean_pkg.CHECKS))
    old = clean_pkg.clean(h, municipality, codebook=cb, **options)
    monkeypatch.undo()
    return new, old


# ---------------------------------------------------------------- whole cleaning runs
@pytest.mark.parametrize("m", ["akmene", "jonava", "siauliai", "klaipeda", "kaunas", "vilnius"])
def test_demo_cleaning_logs_are_unchanged(monkeypatch, cb, m):
    h = harmonise(read_raw(ROOT / "data" / "raw" / f"{m}.xlsx").data, cb)
    new, old = _both_ways(monkeypatch, h, m, cb)
    pd.testing.assert_frame_equal(new.log, old.log)
    pd.testing.assert_frame_equal(new.data, old.data)
    assert (new.log["check_id"] == "duplicate_exact").sum() > 0  # the demo plants exact duplicates


def _planted(cb, n=240, seed=11):
    """Random respondents plus near-copies (1-4 answers changed, some blanked), shared devices at set gaps."""
    rng = np.random.default_rng(seed)
    base = random_respondents(cb, n=n, seed=seed)
    questions = [q for q in cb.names if cb.variable(q).type == "select_one" and q not in
                 ("consent", "municipality", "citizenship")]
    copies = []
    for k, i in enumerate(rng.choice(n, size=n // 3, replace=False)):
        row = base.iloc[[i]].copy()
        for q in rng.choice(questions, size=int(rng.integers(0, 5)), replace=False):
            row[q] = rng.choice([c for c in cb.codes(q) if c not in ("refused", "other_country")]) \
                if rng.random() < 0.7 else np.nan
        gap = float(rng.choice([5, 29, 30, 31, 200]))
        t = pd.Timestamp(row["start"].iloc[0]) + pd.Timedelta(minutes=gap)
        row["start"] = t.strftime("%Y-%m-%dT%H:%M:%S")
        row["end"] = (t + pd.Timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%S")
        row["_submission_time"] = (t + pd.Timedelta(minutes=21)).strftime("%Y-%m-%dT%H:%M:%S")
        row["_uuid"], row["_id"] = f"copy-{k:04d}", 9000 + k
        if rng.random() < 0.5:
            row["device_id"] = f"ee.kobotoolbox.org:other{k}"
        copies.append(row)
    out = pd.concat([base, *copies], ignore_index=True)
    out.loc[rng.choice(len(out), size=10, replace=False), "start"] = np.nan  # durations unknown
    return out


@pytest.mark.parametrize("share", [0.95, 0.9, 0.85])
def test_planted_near_duplicates_give_the_same_log(monkeypatch, cb, share):
    h = harmonise(to_export(_planted(cb), cb), cb)
    new, old = _both_ways(monkeypatch, h, "kaunas", cb, near_duplicate_share=share)
    pd.testing.assert_frame_equal(new.log, old.log)
    near = new.log[new.log["check_id"] == "duplicate_near"]
    assert len(near) >= 40 and near["reason"].str.contains("same device").any()
    assert near["reason"].str.contains("answers identical").any()


def test_near_duplicate_check_alone_on_harmonised_data(cb):
    h = harmonise(to_export(_planted(cb, n=180, seed=5), cb), cb)
    for options in ({}, {"near_duplicate_min_items": 10, "near_duplicate_share": 0.8},
                    {"device_window_minutes": 0.0}, {"device_window_minutes": float("inf")}):
        ctx = _context(h, cb, **options)
        pd.testing.assert_frame_equal(_checks.check_near_duplicates(h.data, ctx), _old_near_duplicates(h.data, ctx))
        pd.testing.assert_frame_equal(_checks.check_exact_duplicates(h.data, ctx),
                                      _old_exact_duplicates(h.data, ctx))


# ---------------------------------------------------------------- the search on random matrices
def _random_answers(rng, n, k, blanks):
    base = rng.integers(0, int(rng.integers(2, 5)), size=(max(2, n // 4), k))
    mat = base[rng.integers(0, len(base), n)].copy()
    for i in range(n):  # near-copies: 0-4 answers changed
        cols = rng.choice(k, size=min(int(rng.integers(0, 5)), k), replace=False)
        mat[i, cols] = rng.integers(0, 4, len(cols))
    if k > 6 and rng.random() < 0.5:  # skip logic: a filter blanks five follow-ups
        mat[mat[:, 0] == 0, 1:6] = -1
    if blanks == "per column":  # a few blanks in otherwise complete columns (rows blank in some blocks)
        mat[rng.random((n, k)) < rng.choice([0, 0.005, 0.015, 0.1], size=k)] = -1
    else:
        mat[rng.random((n, k)) < blanks] = -1
    mat[rng.choice(n, n // 10)] = mat[rng.choice(n, n // 10)]  # identical rows
    return mat


@pytest.mark.parametrize("seed", range(6))
def test_answer_matches_equal_the_pairwise_loop(seed):
    rng = np.random.default_rng(seed)
    for _ in range(25):
        n, k = int(rng.integers(2, 260)), int(rng.integers(1, 70))
        mat = _random_answers(rng, n, k, [0.0, 0.3, "per column"][int(rng.integers(3))])
        min_items = int(rng.choice([20, 5, 1, 0, 30]))
        share = float(rng.choice([0.95, 0.9, 0.8, 1.0, 0.5, 0.0, 1.01]))
        got = _near.answer_matches(mat, min_items, share)
        want = _old_answer_pairs(mat, min_items, share)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)


def test_answer_matches_take_the_blocked_route_on_survey_like_data():
    """40 always-answered columns, 20 skip-logic ones: the pigeonhole keys are used, not the pairwise loop."""
    rng = np.random.default_rng(3)
    n = 3000
    mat = rng.integers(0, 3, size=(n, 60))
    mat[:, 40:][rng.random((n, 20)) < 0.5] = -1
    twins = rng.choice(n, 200, replace=False)
    mat[twins] = mat[rng.choice(n, 200)]
    mat[twins, rng.integers(0, 40, 200)] = rng.integers(0, 3, 200)  # one answer changed
    calls = []
    orig = _near._Hits.add_row
    _near._Hits.add_row = lambda self, i, pool: calls.append(i) or orig(self, i, pool)
    try:
        got = _near.answer_matches(mat, 20, 0.95)
    finally:
        _near._Hits.add_row = orig
    assert not calls  # no row compared one by one
    for g, w in zip(got, _old_answer_pairs(mat, 20, 0.95)):
        np.testing.assert_array_equal(g, w)
    assert (got[0] >= 0).sum() >= 150


def test_mismatch_limit_by_hand():
    # 20 items at 95 %: 19/20 = 0.95 qualifies, 18/20 not; 60 items: 57/60 = 0.95
    assert _near.mismatch_limit(20, 0.95, 20) == 1
    assert _near.mismatch_limit(20, 0.95, 60) == 3
    assert _near.mismatch_limit(20, 0.95, 19) == -1  # no pair can answer 20 items in common
    assert _near.mismatch_limit(1, 1.01, 60) == -1
    assert _near.mismatch_limit(5, 0.5, 10) == 5


def test_device_matches_equal_the_pairwise_loop():
    rng = np.random.default_rng(0)
    base = np.datetime64("2021-09-01T00:00:00", "ns")
    for _ in range(200):
        n = int(rng.integers(1, 150))
        device = rng.integers(-1, int(rng.integers(1, 15)), n)
        step = int(rng.choice([1, 60, 10**9 * 60 * 15]))
        times = base + (rng.integers(0, 200, n) * step).astype("timedelta64[ns]")
        if rng.random() < 0.3:
            times[rng.random(n) < 0.2] = np.datetime64("NaT")
        window = float(rng.choice([30.0, 0.0, 15.0, 29.999999999, np.inf, 1e30, np.nan, -1.0]))
        np.testing.assert_array_equal(_near.device_matches(device, times, window),
                                      _old_device_pairs(device, times, window))


def test_first_identical_with_and_without_hash_collisions(monkeypatch):
    rng = np.random.default_rng(1)
    mat = rng.integers(-1, 2, size=(500, 6))
    want = np.array([np.flatnonzero((mat == mat[i]).all(axis=1))[0] for i in range(len(mat))])
    np.testing.assert_array_equal(_near.first_identical(mat), want)
    monkeypatch.setattr(_near, "_column_multipliers", lambda k: np.zeros(k, dtype=np.uint64))  # one hash for all
    np.testing.assert_array_equal(_near.first_identical(mat), want)


# ---------------------------------------------------------------- applying the log
def _random_log(rng, data, cb, k=400):
    ids = data[ID_COLUMN].tolist()
    variables = ["birth_year", "sex", "info_sources", "info_sources/ngo", "lt_barriers", "arrival_year",
                 "n_children", "emp_status"]
    rows = []
    for _ in range(k):
        var = str(rng.choice(variables))
        action = str(rng.choice(["change_value", "set_missing", "flag", "drop_respondent"], p=[.5, .2, .2, .1]))
        if var in ("birth_year", "arrival_year", "n_children", "info_sources/ngo"):
            new = str(rng.choice(["1977", "1,5", " 2001 ", "", "0"]))
        elif var in ("info_sources", "lt_barriers"):
            new = str(rng.choice(["ngo embassy", "", "no_time", " employer "]))
        else:
            new = str(rng.choice(["female", "male", " employed", ""]))
        rows.append({"respondent_id": str(rng.choice(ids)), "variable": var, "old_value": "", "new_value": new,
                     "check_id": "manual", "action": action, "reason": "r"})
    return pd.DataFrame(rows, columns=list(LOG_COLUMNS))


def test_apply_log_equals_the_cell_by_cell_version(cb):
    h = harmonise(to_export(random_respondents(cb, n=60, seed=2), cb), cb)
    before = h.data.copy()
    rng = np.random.default_rng(4)
    for _ in range(8):
        log = _random_log(rng, h.data, cb)
        pd.testing.assert_frame_equal(clean_pkg.apply_log(h.data, log), _old_apply_log(h.data, log))
    pd.testing.assert_frame_equal(h.data, before)  # the input is never changed
    shared = clean_pkg.apply_log(h.data, log.iloc[:0], share=True)
    pd.testing.assert_frame_equal(shared, h.data)


def test_apply_log_reports_the_first_bad_row_like_the_old_version(cb):
    h = harmonise(to_export(random_respondents(cb, n=10, seed=2), cb), cb)
    good = {"respondent_id": "uuid-0001", "variable": "birth_year", "old_value": "", "new_value": "1970",
            "check_id": "m", "action": "change_value", "reason": "r"}
    bad = [dict(good, respondent_id="nobody"), dict(good, variable="shoe_size"), dict(good, new_value="soon"),
           dict(good, action="delete"), dict(good, action="drop_respondent", variable="shoe_size")]
    for k in range(len(bad)):
        log = pd.DataFrame([good, *(bad[(k + j) % len(bad)] for j in range(3))], columns=list(LOG_COLUMNS))
        try:
            _old_apply_log(h.data, log)
        except NeedsAnalysisError as err:
            want = (err.where, err.message)
        else:  # a drop with an unknown variable is not an error
            pd.testing.assert_frame_equal(clean_pkg.apply_log(h.data, log), _old_apply_log(h.data, log))
            continue
        with pytest.raises(NeedsAnalysisError) as got:
            clean_pkg.apply_log(h.data, log)
        assert (got.value.where, got.value.message) == want


# ---------------------------------------------------------------- mapping values once per distinct value
@pytest.mark.parametrize("values", [
    ["a", "b", "a", np.nan, " ", "b"],
    [1.0, np.nan, 1.0, 2.5, -0.0, 0.0],
    [1, 1.0, True, "1", None, np.nan],       # mixed kinds: element by element
    ["a", None, np.nan, pd.NA, "a", "b"],    # mixed blanks: element by element
    [],
])
def test_map_values_equals_series_map(values):
    s = pd.Series(values, dtype=object, name="q")
    for func in (str, lambda v: isinstance(v, str) and not v.strip(), repr):
        pd.testing.assert_series_equal(_xlsform_expr.map_values(s, func), s.map(func))
    if values and all(isinstance(v, float) for v in values):
        f = pd.Series(values, dtype=float, name="q")
        pd.testing.assert_series_equal(_xlsform_expr.map_values(f, repr), f.map(repr))
