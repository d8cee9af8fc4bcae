"""The synthetic population of adult third-country nationals (analysis format, codes).

One row per TCN adult with a residence permit living in one of the six
municipalities. Demography is drawn first (citizenship, years in Lithuania,
permit grounds, sex, age, education, household, tenure), then every answer
from the explicit models in :mod:`._models`, then item non-response
(don't know / refused) and finally the questionnaire's skip rules, so each
row is exactly what that person would answer if surveyed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..clean import YEARS_GROUPS, derive_variables
from ..config import SURVEY_YEAR
from ..errors import NeedsAnalysisError
from . import _models as M
from ._draw import draw_binary, draw_categorical, draw_multiple, draw_ordinal, expit, linpred
from ._facts import CITGRP_COUNTRIES, CITGRP_SHARES, CITGRPS, OTHER_COUNTRY_NAMES, POPULATION_SIZES
from ._schema import MULTIPLE_CHOICES, QUESTIONS, SERVICES, relevance_masks

__all__ = ["build_population", "derive_groups", "population_sizes", "changed_models"]

_YEARS_BANDS = tuple(label for label, _ in YEARS_GROUPS)
_PERMITS = ("work", "family", "study", "permanent", "other_permit")
_SMALL = ("siauliai", "jonava", "akmene")
#: housing problems proper (``no_problems`` excluded)
MULTI_PROBLEMS = ("overcrowded", "cost", "poor_condition", "landlord_refused", "insecure_contract")


def population_sizes(scale: float = 1.0) -> dict[str, int]:
    """Population size per municipality at a given scale.

    Parameters
    ----------
    scale : float, default 1.0
        Multiplier of the illustrative sizes in :data:`._facts.POPULATION_SIZES`
        (use e.g. 0.05 in tests).

    Returns
    -------
    dict
        Municipality id -> number of adults (at least 1).
    """
    if not (isinstance(scale, (int, float)) and 0 < scale <= 10):
        raise NeedsAnalysisError(
            f"scale {scale!r} is out of range", where="build_population(scale=)", expected="a number in (0, 10]"
        )
    return {m: max(1, int(round(n * scale))) for m, n in POPULATION_SIZES.items()}


def derive_groups(df: pd.DataFrame, year: int = SURVEY_YEAR) -> pd.DataFrame:
    """Add the derived analysis variables ``age``, ``agegrp``, ``citgrp``, ``years_lt``.

    Parameters
    ----------
    df : DataFrame
        Holds ``birth_year``, ``citizenship`` and ``arrival_year`` (codes).
    year : int, default SURVEY_YEAR
        The survey year the ages and years in Lithuania are computed for.

    Returns
    -------
    DataFrame
        A copy with the four columns (re)computed by
        :func:`needs_analysis.clean.derive_variables` (the same derivation the
        cleaning step uses): age = year - birth_year (``Int64``);
        agegrp 18_29/30_44/45_64/65_plus; citgrp UA/BY/RU/central_asia/IN/
        other_third; years_lt lt_1 (<1), y1_4, y5_9, y10_plus from
        year - arrival_year (groups as ``str``).
    """
    derived = derive_variables(df[["birth_year", "citizenship", "arrival_year"]], year)
    out = df.copy()
    out["age"] = derived["age"].astype("Int64")
    for col in ("agegrp", "citgrp", "years_lt"):
        out[col] = derived[col].astype("str")
    return out


def _table_probs(keys: np.ndarray, table: dict[str, tuple[float, ...]]) -> np.ndarray:
    return np.vstack([np.asarray(table[k], dtype=float) for k in keys])


def _truncnorm(rng: np.random.Generator, mean: np.ndarray, sd: np.ndarray, lo: float, hi: np.ndarray) -> np.ndarray:
    x = rng.normal(mean, sd)
    for _ in range(50):
        bad = (x < lo) | (x > hi)
        if not bad.any():
            break
        x[bad] = rng.normal(mean[bad], sd[bad])
    return np.clip(x, lo, hi)


def _dummies(values: np.ndarray, mapping: dict[str, str]) -> dict[str, np.ndarray]:
    return {name: (values == v).astype(float) for name, v in mapping.items()}


def _demography(rng: np.random.Generator, sizes: dict[str, int],
               shares: dict[str, dict[str, float]] = CITGRP_SHARES) -> dict[str, np.ndarray]:
    mun = np.concatenate([np.repeat(m, n) for m, n in sizes.items()]).astype(object)
    n = len(mun)
    citgrp = np.empty(n, dtype=object)
    for m in sizes:
        sel = mun == m
        p = np.asarray([shares[m][g] for g in CITGRPS])
        citgrp[sel] = draw_categorical(rng, np.tile(p, (sel.sum(), 1)), CITGRPS)
    cit = np.empty(n, dtype=object)
    for g, countries in CITGRP_COUNTRIES.items():
        sel = citgrp == g
        p = np.asarray(list(countries.values()))
        cit[sel] = draw_categorical(rng, np.tile(p, (sel.sum(), 1)), list(countries))
    cit_other = np.full(n, None, dtype=object)
    sel = cit == "other_country"
    cit_other[sel] = np.asarray(OTHER_COUNTRY_NAMES, dtype=object)[rng.integers(0, len(OTHER_COUNTRY_NAMES), sel.sum())]

    band = draw_categorical(rng, _table_probs(citgrp, M.YEARS_BAND_PROBS), _YEARS_BANDS)
    pkey = np.where((citgrp == "IN") & np.isin(band, ["lt_1", "y1_4"]), band + "_IN", band)
    permit = draw_categorical(rng, _table_probs(pkey, M.PERMIT_PROBS), _PERMITS)
    fkey = np.where(permit == "work", "work_" + citgrp, permit)
    female = draw_binary(rng, np.asarray([M.FEMALE_PROB[k] for k in fkey]))

    pars = np.asarray([M.AGE_PARAMS[p] for p in permit], dtype=float)
    age = np.floor(_truncnorm(rng, pars[:, 0], pars[:, 1], 18.0, pars[:, 2] + 0.999)).astype(int)
    years = np.zeros(n, dtype=int)
    s = band == "y1_4"
    years[s] = rng.choice([1, 2, 3, 4], size=s.sum(), p=[0.32, 0.28, 0.22, 0.18])
    s = band == "y5_9"
    years[s] = rng.integers(5, 10, s.sum())
    s = band == "y10_plus"
    years[s] = np.minimum(10 + rng.geometric(1 / 12, s.sum()) - 1, age[s])
    years = np.minimum(years, age)  # nobody arrived before birth

    tert_or = np.where(female, M.EDU_FEMALE_TERTIARY_OR, 1.0) * np.where(permit == "study", M.EDU_STUDY_TERTIARY_OR, 1.0)
    ep = _table_probs(citgrp, M.EDUCATION_PROBS)
    ep[:, 4] *= tert_or
    ep[permit == "study", :2] = 0.0
    education = draw_categorical(rng, ep, M.EDUCATION)

    hp = _table_probs(permit, M.HOUSEHOLD_PROBS)
    old = age >= 65
    hp[old, 1] += hp[old, 2]
    hp[old, 2] = 0.0
    household = draw_categorical(rng, hp, M.HOUSEHOLD)
    tenure = draw_categorical(rng, _table_probs(permit, M.TENURE_PROBS), M.TENURE)
    return {
        "municipality": mun, "citgrp": citgrp, "citizenship": cit, "citizenship_other": cit_other,
        "band": band, "permit_grounds": permit, "female": female, "age": age, "years": years,
        "education": education, "household": household, "tenure": tenure,
    }


def _base_covariates(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    f = d["female"].astype(float)
    cov: dict[str, np.ndarray] = {"female": f}
    age = d["age"]
    cov["age18_29"] = (age <= 29).astype(float)
    cov["age45_64"] = ((age >= 45) & (age <= 64)).astype(float)
    cov["age65"] = (age >= 65).astype(float)
    cov["age_centred"] = age - 40.0
    cov |= _dummies(d["citgrp"], {"cit_BY": "BY", "cit_RU": "RU", "cit_CA": "central_asia", "cit_IN": "IN",
                                  "cit_OT": "other_third"})
    cov["visible"] = np.isin(d["citgrp"], ["IN", "central_asia", "other_third"]).astype(float)
    cov |= _dummies(d["band"], {"yrs_lt1": "lt_1", "yrs_5_9": "y5_9", "yrs_10": "y10_plus"})
    cov["log_years"] = np.log1p(d["years"])
    cov |= _dummies(d["permit_grounds"], {"perm_family": "family", "perm_study": "study",
                                          "perm_permanent": "permanent", "perm_other": "other_permit"})
    cov["tertiary"] = (d["education"] == "tertiary").astype(float)
    cov["female_uaby_tertiary"] = f * cov["tertiary"] * np.isin(d["citgrp"], ["UA", "BY"])
    ten = d["tenure"]
    cov["renter"] = np.isin(ten, ["rent_private", "rent_social"]).astype(float)
    cov["rent_private"] = (ten == "rent_private").astype(float)
    cov["owner"] = (ten == "owner").astype(float)
    cov["employer_housing"] = (ten == "employer").astype(float)
    cov["shared"] = (d["household"] == "shared_others").astype(float)
    mun = d["municipality"]
    for m in ("vilnius", "kaunas", "klaipeda", "siauliai", "jonava", "akmene"):
        cov[f"mun_{m}"] = (mun == m).astype(float)
    cov["mun_small"] = np.isin(mun, list(_SMALL)).astype(float)
    return cov


def _yes_no(b: np.ndarray) -> np.ndarray:
    return np.where(b, "yes", "no").astype(object)


def changed_models(changes: dict[str, dict[str, float]] | None) -> dict[str, dict[str, float]]:
    """:data:`._models.LOGIT` with the coefficient changes added (``{model: {covariate: change}}``).

    Models without a change are the very same dicts, so a population built
    without changes draws exactly as before.
    """
    if not changes:
        return M.LOGIT
    unknown = sorted(set(changes) - set(M.LOGIT))
    if unknown:
        raise NeedsAnalysisError(f"no logistic model {unknown[0]!r}", where="build_population(changes=)",
                                 expected="names of _models.LOGIT")
    out = dict(M.LOGIT)
    for name, delta in changes.items():
        coefs = dict(M.LOGIT[name])
        for k, b in delta.items():
            coefs[k] = coefs.get(k, 0.0) + float(b)
        out[name] = coefs
    return out


def _ordinal(rng, cov, name, n, extra_const: float | np.ndarray = 0.0) -> np.ndarray:
    cats, cuts, coefs = M.ORDINAL[name]
    return draw_ordinal(rng, linpred(cov, coefs, n) + extra_const, cuts, cats)


def _multi(rng, cov, q, n) -> dict[str, np.ndarray]:
    return draw_multiple(rng, cov, M.MULTI[q], MULTIPLE_CHOICES[q], M.MULTI_FALLBACK[q], n)


def _answers(rng: np.random.Generator, d: dict[str, np.ndarray],
             logit: dict[str, dict[str, float]] = M.LOGIT) -> tuple[dict[str, np.ndarray], dict]:
    """Draw every answer (substantive values, before item non-response and skip rules).

    ``logit`` are the logistic models of the binary outcomes (:func:`changed_models`).

    Returns
    -------
    answers : dict
        select_one / integer question -> array of codes or numbers.
    multi : dict
        select_multiple question -> choice -> boolean array.
    """
    n = len(d["municipality"])
    cov = _base_covariates(d)

    def yes(name: str) -> np.ndarray:
        return draw_binary(rng, expit(linpred(cov, logit[name], n)))

    a: dict[str, np.ndarray] = {}
    multi: dict[str, dict[str, np.ndarray]] = {}

    in_hh = np.isin(d["household"], ["couple_children", "single_parent"])
    p_child = np.where(in_hh, expit(linpred(cov, M.LOGIT["children_u18_hh"], n)),
                       expit(linpred(cov, M.LOGIT["children_u18_other"], n)))
    has_children = draw_binary(rng, p_child)
    a["children_u18"] = _yes_no(has_children)
    a["n_children"] = np.minimum(1 + rng.poisson(0.55, n), 10)
    cov["has_children"] = has_children.astype(float)

    a["lt_level"] = _ordinal(rng, cov, "lt_level", n)
    cov["lt_low"] = np.isin(a["lt_level"], ["none", "basic"]).astype(float)
    cov["lt_adv"] = (a["lt_level"] == "advanced").astype(float)

    ekey = np.where(d["age"] >= 65, "age65",
                    d["permit_grounds"] + np.where(d["female"], "_female", "_male"))
    ep = _table_probs(ekey, M.EMP_PROBS)
    ep[:, 2] *= np.where((cov["lt_low"] > 0) & (d["permit_grounds"] != "work"), M.EMP_UNEMP_OR_LT_LOW, 1.0)
    ep[:, 2] *= np.where(cov["mun_small"] > 0, M.EMP_UNEMP_OR_SMALL, 1.0)
    emp = draw_categorical(rng, ep, M.EMP)
    a["emp_status"] = emp
    cov["employed"] = np.isin(emp, ["employed", "self_employed"]).astype(float)
    for k in ("unemployed", "retired", "student", "homemaker"):
        cov[k] = (emp == k).astype(float)
    high = yes("occupation_high")
    low = yes("occupation_low")
    a["occupation_level"] = np.where(high, "high_skilled", np.where(low, "low_skilled", "medium_skilled")).astype(object)
    cov["overqual"] = cov["tertiary"] * cov["employed"] * (~high)
    a["qual_recognised"] = draw_categorical(rng, _table_probs(d["band"], M.QUAL_PROBS), M.QUAL)
    emp_help = yes("emp_help")
    a["emp_help"] = _yes_no(emp_help)
    cov["emp_help_yes"] = emp_help.astype(float)

    a["lt_course_12m"] = _yes_no(yes("lt_course_12m"))
    want = yes("lt_course_want")
    a["lt_course_want"] = _yes_no(want)
    multi["lt_barriers"] = _multi(rng, cov, "lt_barriers", n)

    hp = _multi(rng, cov, "housing_problems", n)
    multi["housing_problems"] = hp
    cov["n_problems"] = sum(hp[c].astype(float) for c in MULTI_PROBLEMS)
    housing_help = yes("housing_help")
    a["housing_help"] = _yes_no(housing_help)

    a["health_selfrated"] = _ordinal(rng, cov, "health_selfrated", n)
    cov["health_poor"] = np.isin(a["health_selfrated"], ["fair", "bad", "very_bad"]).astype(float)
    gp = yes("gp_registered")
    ins = yes("health_insurance")
    a["gp_registered"], a["health_insurance"] = _yes_no(gp), _yes_no(ins)
    cov["no_gp"], cov["no_insurance"] = (~gp).astype(float), (~ins).astype(float)
    unmet = yes("unmet_medical")
    a["unmet_medical"] = _yes_no(unmet)
    multi["unmet_medical_why"] = _multi(rng, cov, "unmet_medical_why", n)

    prob = yes("child_problems")
    serious = yes("child_serious")
    a["child_school_access"] = np.where(prob, np.where(serious, "serious_problems", "some_problems"),
                                        "no_problems").astype(object)
    child_lt = yes("child_lt_support")
    a["child_lt_support"] = _yes_no(child_lt)
    needed = yes("kindergarten_needed")
    waiting = yes("kindergarten_waiting")
    a["child_kindergarten"] = np.where(needed, np.where(waiting, "waiting", "has_place"), "not_needed").astype(object)

    discr = yes("discr_any")
    a["discr_any"] = _yes_no(discr)
    cov["discr"] = discr.astype(float)
    multi["discr_settings"] = _multi(rng, cov, "discr_settings", n)
    a["discr_reported"] = _yes_no(yes("discr_reported"))

    svc_need = {}
    for s in SERVICES:
        aware = yes(f"svc_aware_{s}")
        used = aware & yes(f"svc_used_{s}")
        a[f"svc_aware_{s}"], a[f"svc_used_{s}"] = _yes_no(aware), _yes_no(used)
        a[f"svc_satisf_{s}"] = _ordinal(rng, cov, "svc_satisf", n, M.SVC_SATISF_CONST[s])
        svc_need[s] = yes(f"svc_need_{s}")
        a[f"svc_need_{s}"] = _yes_no(svc_need[s])

    multi["info_sources"] = _multi(rng, cov, "info_sources", n)
    il = draw_categorical(rng, _table_probs(d["citgrp"], M.INFO_LANGUAGE_PROBS), M.INFO_LANGUAGE)
    to_lt = (cov["lt_adv"] > 0) & draw_binary(rng, np.full(n, M.INFO_LANGUAGE_LT_IF_ADVANCED))
    a["info_language"] = np.where(to_lt, "lt", il).astype(object)
    info_enough = yes("info_enough")
    a["info_enough"] = _yes_no(info_enough)

    a["lt_friends"] = _ordinal(rng, cov, "lt_friends", n)
    a["feels_welcome"] = _ordinal(rng, cov, "feels_welcome", n)
    cov["welcome_fully"] = (a["feels_welcome"] == "fully").astype(float)
    a["plans_stay"] = _ordinal(rng, cov, "plans_stay", n)

    has_need = {
        "language": want & (cov["lt_adv"] == 0), "work": emp_help, "housing": housing_help, "health": unmet,
        "children_education": has_children & (child_lt | prob), "social": svc_need["social"],
        "information": ~info_enough, "discrimination": discr,
        "documents": svc_need["migration"] & (cov["perm_permanent"] == 0),
    }
    choices = MULTIPLE_CHOICES["top_needs"]
    score = np.column_stack([np.where(has_need[c], M.TOP_NEEDS_WEIGHT[c] + rng.gumbel(size=n), -np.inf)
                             for c in choices])
    none = ~np.isfinite(score).any(axis=1)
    score[none, choices.index("documents")] = 0.0     # everyone names at least one area
    rank = np.argsort(np.argsort(-score, axis=1), axis=1)
    multi["top_needs"] = {c: (rank[:, j] < 3) & np.isfinite(score[:, j]) for j, c in enumerate(choices)}
    return a, multi


def _missing_key(name: str) -> str | None:
    for prefix in ("svc_satisf", "svc_need"):
        if name.startswith(prefix + "_"):
            return prefix
    return name if name in M.MISSING_RATES else None


def build_population(seed: int = 2021, scale: float = 1.0, *, sizes: dict[str, int] | None = None,
                     year: int = SURVEY_YEAR, shares: dict[str, dict[str, float]] | None = None,
                     changes: dict[str, dict[str, float]] | None = None) -> pd.DataFrame:
    """Build the synthetic population of adult TCNs in the six municipalities.

    Parameters
    ----------
    seed : int, default 2021
        Seed of the random generator; the same seed gives an identical frame.
    scale : float, default 1.0
        Multiplier of the population sizes (e.g. 0.05 for fast tests).
    sizes : dict, optional
        Municipality id -> number of adults, instead of the scaled
        illustrative sizes (e.g. ``{"vilnius": 250_000}`` alone for a large
        one-municipality export in the scale benchmark).
    year : int, default SURVEY_YEAR
        The survey year: birth and arrival years are ``year`` minus age and
        years in Lithuania (a later wave, :mod:`._wave`).
    shares : dict, optional
        Municipality -> citizenship group -> share, instead of
        :data:`._facts.CITGRP_SHARES` (needed for municipalities not in it).
    changes : dict, optional
        Changes of the logistic models' coefficients, ``{model: {covariate:
        change}}`` (:func:`changed_models`): the planted change of a later
        wave.

    Returns
    -------
    DataFrame
        One row per person: ``person_id``, ``municipality``, every
        questionnaire variable in codes (select_one as code strings, integers
        as integers, select_multiple as space-separated codes plus one 0/1
        ``q/choice`` column per choice; NaN where the question is not asked),
        and the derived ``age``, ``agegrp``, ``citgrp``, ``years_lt``.

    Notes
    -----
    All models and coefficients are in :mod:`needs_analysis.synthetic._models`;
    sizes and compositions are illustrative and anchored to the facts in
    :mod:`needs_analysis.synthetic._facts`.
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 1]))
    d = _demography(rng, population_sizes(scale) if sizes is None else dict(sizes),
                    CITGRP_SHARES if shares is None else shares)
    n = len(d["municipality"])
    a, multi = _answers(rng, d, changed_models(changes))

    cols: dict[str, object] = {
        "person_id": np.arange(1, n + 1, dtype=np.int64),
        "consent": np.full(n, "yes", dtype=object),
        "municipality": d["municipality"],
        "birth_year": year - d["age"],
        "citizenship": d["citizenship"],
        "citizenship_other": d["citizenship_other"],
        "sex": np.where(d["female"], "female", "male").astype(object),
        "education": d["education"], "household": d["household"],
        "arrival_year": year - d["years"],
        "permit_grounds": d["permit_grounds"], "tenure": d["tenure"],
    }
    cols |= a
    for q, choice_sel in multi.items():
        cols[q] = np.asarray([" ".join(c for c in MULTIPLE_CHOICES[q] if choice_sel[c][i]) for i in range(n)],
                             dtype=object)
    # item non-response (don't know / refused)
    for name, _ in QUESTIONS:
        key = _missing_key(name)
        if key is None:
            continue
        p_dk, p_ref = M.MISSING_RATES[key]
        u = rng.random(n)
        vals = np.asarray(cols[name], dtype=object).copy()
        vals[u < p_dk] = "dont_know"
        vals[(u >= p_dk) & (u < p_dk + p_ref)] = "refused"
        cols[name] = vals

    df = pd.DataFrame({"person_id": cols["person_id"]})
    for name, qtype in QUESTIONS:
        if name in ("birth_year", "arrival_year"):
            df[name] = pd.Series(cols[name], dtype="int64")
        elif name == "n_children":
            df[name] = pd.Series(cols[name], dtype="Int64")
        elif name in ("lt_barriers_other", "contact_email", "comments"):
            df[name] = pd.Series([None] * n, dtype="str")
        else:
            df[name] = pd.Series(cols[name], dtype="str")
        if qtype == "select_multiple":
            for c in MULTIPLE_CHOICES[name]:
                df[f"{name}/{c}"] = pd.Series(multi[name][c].astype("int8"), dtype="Int8")
    asked = relevance_masks(df)
    for name, mask in asked.items():
        df[name] = df[name].where(mask)
        if name in MULTIPLE_CHOICES:
            for c in MULTIPLE_CHOICES[name]:
                df[f"{name}/{c}"] = df[f"{name}/{c}"].where(mask)
    df = derive_groups(df, year)
    return df
