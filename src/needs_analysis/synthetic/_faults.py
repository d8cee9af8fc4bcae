"""Realistic faults planted in the raw exports, each one recorded.

Extra rows (duplicates, speeders, out-of-range birth years, inconsistent
answers, ineligible respondents) are added on top of the clean sample; value
faults ("other, specify" texts, stray spaces and changed case in labels) are
applied to clean rows without changing what the respondent truly answered,
so a correct cleaning step recovers every clean respondent's true answers.
Extra rows are built from non-respondents of the population when it is
given, so an extra row that cleaning repairs (rather than drops) is still a
real person with true answers apart from the recorded fault.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._export import label_columns, to_export_frame
from ..config import SURVEY_YEAR
from ._sample import FIELDWORK, META_COLUMNS, make_meta, new_uuids, response_propensity
from ._schema import relevance_masks
from ._texts import LT_BARRIER_OTHER, NATIVE_COUNTRY_NAMES, OTHER_COUNTRY_I18N

__all__ = ["add_faults", "FAULT_RATES", "PLANTED_COLUMNS"]

#: share of the clean sample (per municipality) planted as extra rows, and of label cells for case/space faults
FAULT_RATES: dict[str, float] = {
    "duplicate": 0.02, "speeder": 0.03, "birth_year_out_of_range": 0.01, "inconsistent": 0.02,
    "ineligible": 0.03, "label_whitespace_case": 0.05, "other_specify_listed": 0.25,
}
PLANTED_COLUMNS = ("municipality", "_uuid", "fault", "variable", "detail")
_EU = ("LV", "PL", "DE", "EE", "FR", "IT")
_STRAIGHTLINE = ("lt_course_12m", "emp_help", "housing_help", "info_enough", "svc_need_migration",
                 "svc_need_employment", "svc_need_social", "svc_need_info_centre", "svc_need_legal")


def _count(rate: float, n: int) -> int:
    return max(1, int(round(rate * n))) if n > 0 else 0


def _text_faults(rng: np.random.Generator, clean: pd.DataFrame, cb, rate: float) -> tuple[pd.DataFrame, list[dict]]:
    """'Other, specify' texts on clean rows (codes level); returns the new frame and records."""
    out = clean.copy()
    rec: list[dict] = []
    cit = out["citizenship"].astype(object).to_numpy().copy()
    cit_other = out["citizenship_other"].astype(object).to_numpy().copy()
    lang = out["lang"].to_numpy(dtype=object)
    for i in np.flatnonzero(out["citizenship"].isin(list(NATIVE_COUNTRY_NAMES)).to_numpy()):
        if rng.random() >= rate:
            continue
        code = cit[i]
        alts = NATIVE_COUNTRY_NAMES[code]
        typed = cb.choice_label("citizenship", code, lang[i]) if rng.random() < 0.6 else alts[rng.integers(len(alts))]
        cit[i], cit_other[i] = "other_country", typed
        rec.append({"municipality": out.at[i, "municipality"], "_uuid": out.at[i, "_uuid"],
                    "fault": "other_specify_listed", "variable": "citizenship",
                    "detail": f"chose other_country and typed {typed!r}; true code {code}"})
    for i in np.flatnonzero((out["citizenship"] == "other_country").to_numpy()):
        name = str(cit_other[i])
        if lang[i] != "en" and name in OTHER_COUNTRY_I18N:
            cit_other[i] = OTHER_COUNTRY_I18N[name][lang[i]]
    out["citizenship"] = pd.Series(cit, index=out.index, dtype="str")
    out["citizenship_other"] = pd.Series(cit_other, index=out.index, dtype="str")
    other_txt = out["lt_barriers_other"].astype(object).to_numpy().copy()
    has_other = out["lt_barriers/other_barrier"].fillna(0).to_numpy() == 1
    for i in np.flatnonzero(has_other):
        texts = LT_BARRIER_OTHER[lang[i]]
        other_txt[i] = texts[rng.integers(len(texts))]
        rec.append({"municipality": out.at[i, "municipality"], "_uuid": out.at[i, "_uuid"],
                    "fault": "other_specify_text", "variable": "lt_barriers_other", "detail": other_txt[i]})
    out["lt_barriers_other"] = pd.Series(other_txt, index=out.index, dtype="str")
    return out, rec


def _label_faults(rng: np.random.Generator, frame: pd.DataFrame, cb, rate: float) -> tuple[pd.DataFrame, list[dict]]:
    """Stray spaces and changed case in ~``rate`` of the select_one label cells."""
    out = frame.copy()
    rec: list[dict] = []
    muns = out["_mun"].to_numpy(dtype=object)
    uuids = out["_uuid"].to_numpy(dtype=object)
    for q in label_columns(cb):
        vals = out[q].to_numpy(dtype=object).copy()
        hit = np.flatnonzero(np.array([v is not None for v in vals]) & (rng.random(len(vals)) < rate))
        kinds = rng.integers(0, 6, len(hit))
        for i, k in zip(hit, kinds):
            v = vals[i]
            new = (" " + v, v + " ", "  " + v + " ", v.upper(), v.lower(), v.lower() + "  ")[k]
            if new == v:
                new = " " + v
            vals[i] = new
            rec.append({"municipality": muns[i], "_uuid": uuids[i], "fault": "label_whitespace_case",
                        "variable": q, "detail": repr(new)})
        out[q] = pd.Series(vals, index=out.index, dtype=object)
    return out, rec


def _pick(rng: np.random.Generator, pool: pd.DataFrame, used: set, ok=None) -> int:
    """Index of an unused donor (satisfying the boolean Series ``ok`` when possible)."""
    labels = pool.index
    free = ~labels.isin(used)
    good = free if ok is None else free & ok.reindex(labels, fill_value=False).fillna(False).to_numpy(dtype=bool)
    cand = labels[good] if good.any() else (labels[free] if free.any() else labels)
    i = cand[int(rng.integers(len(cand)))]
    used.add(i)
    return i


def _rotating(rng: np.random.Generator, kinds: tuple[str, ...], n: int) -> list[str]:
    """``n`` kinds in turn from a random start (the start is drawn even when ``n`` is 0)."""
    off = int(rng.integers(len(kinds)))
    return [kinds[(k + off) % len(kinds)] for k in range(n)]


def _extra_rows(rng: np.random.Generator, donors: pd.DataFrame, counts: dict[str, int],
                year: int = SURVEY_YEAR) -> tuple[pd.DataFrame, list]:
    """Build the planted extra rows (codes level) from donor persons."""
    rows, info, dur = [], [], []
    used: set = set()
    med = 18.0 * 60

    def add(fault, variable, detail, row, d=None):
        rows.append(row)
        info.append((fault, variable, detail))
        dur.append(d)

    for _ in range(counts["speeder"]):
        r = donors.loc[_pick(rng, donors, used)].copy()
        for q in _STRAIGHTLINE:
            r[q] = "yes"
        d = float(rng.uniform(0.10, 0.22)) * med
        add("speeder", "", f"duration {d / 60:.1f} min (< 25% of median); straight-lined 'yes'", r, d)
    for k in range(counts["birth_year_out_of_range"]):
        i = _pick(rng, donors, used, donors["birth_year"].astype(int).between(1930, 1999))
        r = donors.loc[i].copy()
        true = int(r["birth_year"])
        bad = (1890, 2015, true % 100)[(k + int(rng.integers(3))) % 3]
        r["birth_year"] = bad
        add("birth_year_out_of_range", "birth_year", f"birth_year {bad}; true birth_year {true}", r)
    for kind in _rotating(rng, ("employed_no_occupation", "arrival_before_birth", "no_problems_with_problems"),
                          counts["inconsistent"]):
        if kind == "employed_no_occupation":
            r = donors.loc[_pick(rng, donors, used, donors["emp_status"] == "employed")].copy()
            r["occupation_level"] = np.nan
            add("inconsistent", "occupation_level", "emp_status employed but occupation_level blank", r)
        elif kind == "arrival_before_birth":
            r = donors.loc[_pick(rng, donors, used)].copy()
            true = int(r["arrival_year"])
            r["arrival_year"] = int(r["birth_year"]) - int(rng.integers(1, 15))
            add("inconsistent", "arrival_year",
                f"arrival_year {r['arrival_year']} before birth_year {int(r['birth_year'])}; true {true}", r)
        else:
            r = donors.loc[_pick(rng, donors, used, donors["housing_problems/no_problems"].fillna(1) == 0)].copy()
            r["housing_problems"] = str(r["housing_problems"]) + " no_problems"
            r["housing_problems/no_problems"] = 1
            add("inconsistent", "housing_problems", f"no_problems ticked with {r['housing_problems']!r}", r)
    for kind in _rotating(rng, ("eu_citizen", "other_municipality", "under_18"), counts["ineligible"]):
        if kind == "eu_citizen":
            r = donors.loc[_pick(rng, donors, used)].copy()
            r["citizenship"] = _EU[int(rng.integers(len(_EU)))]
            r["citizenship_other"] = np.nan
            add("ineligible", "citizenship", f"EU citizen ({r['citizenship']})", r)
        elif kind == "other_municipality":
            r = donors.loc[_pick(rng, donors, used)].copy()
            r["municipality"] = "other_municipality"
            add("ineligible", "municipality", "lives in another municipality", r)
        else:
            r = donors.loc[_pick(rng, donors, used, donors["age"].astype(int) <= 25)].copy()
            r["birth_year"] = year - int(rng.integers(16, 18))
            r["arrival_year"] = max(int(r["arrival_year"]), int(r["birth_year"]) + 1)
            add("ineligible", "birth_year", f"under 18 (birth_year {r['birth_year']})", r)
    frame = pd.DataFrame(rows).reset_index(drop=True) if rows else donors.iloc[:0].copy()
    return frame, list(zip(info, dur))


def _donor_pool(rng, resp: pd.DataFrame, pop: pd.DataFrame | None, m: str, k: int) -> pd.DataFrame:
    """Persons to build extra rows from: non-respondents of ``m`` (by response propensity) or respondents."""
    if pop is None:
        src = resp[resp["municipality"] == m].drop(columns=[*META_COLUMNS, "response_prob"])
        return src.reset_index(drop=True)
    src = pop[(pop["municipality"] == m) & ~pop["person_id"].isin(resp["person_id"])]
    rho = response_propensity(src)
    k = min(len(src), max(k, 1) * 4)
    take = rng.choice(len(src), size=k, replace=False, p=rho / rho.sum())
    return src.iloc[np.sort(take)].reset_index(drop=True)


def _insert_ids(clean_frames: list[pd.DataFrame], extras: pd.DataFrame) -> np.ndarray:
    """Kobo-like ids for extra rows: the next free id after the last clean submission before them."""
    allc = pd.concat([f[["_id", "_submission_time"]] for f in clean_frames], ignore_index=True)
    allc = allc.sort_values(["_submission_time", "_id"], kind="stable")
    subs = allc["_submission_time"].to_numpy(dtype=object).astype(str)
    ids = allc["_id"].astype(np.int64).to_numpy()
    taken = set(ids.tolist())
    out = np.empty(len(extras), dtype=np.int64)
    fallback = int(ids.max()) + 1000 if len(ids) else 1
    order = np.argsort(extras["_submission_time"].to_numpy(dtype=object).astype(str), kind="stable")
    for j in order:
        pos = np.searchsorted(subs, str(extras["_submission_time"].iloc[j]), side="right") - 1
        cand = int(ids[pos]) + 1 if pos >= 0 else int(ids.min()) - 50
        nxt = int(ids[pos + 1]) if pos + 1 < len(ids) else np.iinfo(np.int64).max
        while cand in taken:
            cand += 1
        if cand >= nxt:
            cand = fallback
            while cand in taken:
                cand += 1
        taken.add(cand)
        out[j] = cand
    return out


def add_faults(resp: pd.DataFrame, seed: int = 2021, *, pop: pd.DataFrame | None = None, codebook=None,
               rates: dict[str, float] | None = None, year: int = SURVEY_YEAR,
               fieldwork: tuple[str, str] = FIELDWORK) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Turn the clean respondents into raw exports with planted, recorded faults.

    Parameters
    ----------
    resp : DataFrame
        Clean respondents from :func:`draw_sample` (not modified).
    seed : int, default 2021
    pop : DataFrame, optional
        The population; if given, extra rows are built from non-respondents
        (so a row that cleaning repairs instead of dropping is still a real
        person), otherwise from copies of respondents.
    codebook : Codebook, optional
        Default :func:`needs_analysis.codebook.load_codebook`.
    rates : dict, optional
        Overrides of :data:`FAULT_RATES`.
    year : int, default SURVEY_YEAR
        The survey year (planted minors are 16 or 17 in it).
    fieldwork : (str, str)
        First and last day of fieldwork of the extra rows' submissions.

    Returns
    -------
    raw : dict
        Municipality id -> export-format DataFrame (clean rows with value
        faults plus extra rows), sorted by submission time.
    planted : DataFrame
        One row per planted fault: ``municipality, _uuid, fault, variable,
        detail``. Extra rows: ``duplicate``, ``speeder``,
        ``birth_year_out_of_range``, ``inconsistent``, ``ineligible``; value
        faults on clean rows: ``other_specify_listed``, ``other_specify_text``,
        ``label_whitespace_case`` (one record per cell).
    """
    if codebook is None:
        from ..codebook import load_codebook

        codebook = load_codebook()
    cb = codebook
    rates = {**FAULT_RATES, **(rates or {})}
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 3]))
    clean, records = _text_faults(rng, resp.reset_index(drop=True), cb, rates["other_specify_listed"])
    muns = list(dict.fromkeys(resp["municipality"]))
    clean_frames, extra_frames, extra_recs = [], [], []
    for m in muns:
        sel = (clean["municipality"] == m).to_numpy()
        n = int(sel.sum())
        frame = to_export_frame(clean.loc[sel].reset_index(drop=True), cb)
        frame.insert(0, "_mun", m)
        frame, rec = _label_faults(rng, frame, cb, rates["label_whitespace_case"])
        records += rec
        clean_frames.append(frame)
        # duplicates: exact copies of (already faulty) clean rows, resubmitted a few minutes later
        k = _count(rates["duplicate"], n)
        src = frame.iloc[np.sort(rng.choice(n, size=min(k, n), replace=False))].copy().reset_index(drop=True)
        new_sub = (pd.to_datetime(src["_submission_time"]) +
                   pd.to_timedelta(rng.integers(120, 600, len(src)), unit="s")).dt.strftime("%Y-%m-%dT%H:%M:%S")
        orig = src["_uuid"].tolist()
        src["_uuid"] = new_uuids(rng, len(src))
        src["_submission_time"] = new_sub.to_numpy(dtype=object)
        extra_frames.append(src)
        extra_recs += [{"municipality": m, "_uuid": u, "fault": "duplicate", "variable": "",
                        "detail": f"duplicate of {o}"} for u, o in zip(src["_uuid"], orig)]
        # extra rows built from other persons
        counts = {f: _count(rates[f], n) for f in ("speeder", "birth_year_out_of_range", "inconsistent",
                                                    "ineligible")}
        donors = _donor_pool(rng, resp, pop, m, sum(counts.values()))
        rows, info = _extra_rows(rng, donors, counts, year)
        rows["citizenship_other"] = rows["citizenship_other"].where(relevance_masks(rows)["citizenship_other"])
        durs = np.array([np.nan if d is None else d for _, d in info], dtype=float)
        meta = make_meta(rng, rows, durs, fieldwork)
        rows = pd.concat([meta.assign(_id=0), rows.drop(columns=[c for c in meta.columns if c in rows.columns]
                                                       + (["_id"] if "_id" in rows.columns else []))], axis=1)
        ef = to_export_frame(rows, cb)
        ef.insert(0, "_mun", m)
        extra_frames.append(ef)
        extra_recs += [{"municipality": m, "_uuid": u, "fault": f, "variable": v, "detail": d}
                       for u, ((f, v, d), _) in zip(ef["_uuid"], info)]
    extras = pd.concat(extra_frames, ignore_index=True)
    extras["_id"] = _insert_ids(clean_frames, extras)
    raw: dict[str, pd.DataFrame] = {}
    for m, frame in zip(muns, clean_frames):
        both = pd.concat([frame, extras[extras["_mun"] == m]], ignore_index=True)
        both = both.sort_values(["_submission_time", "_id"], kind="stable").drop(columns="_mun")
        raw[m] = both.reset_index(drop=True)
    planted = pd.DataFrame(records + extra_recs, columns=list(PLANTED_COLUMNS))
    order = {m: i for i, m in enumerate(muns)}
    planted = planted.assign(_mo=planted["municipality"].map(order)).sort_values(
        ["_mo", "fault", "_uuid", "variable"], kind="stable").drop(columns="_mo").reset_index(drop=True)
    return raw, planted
