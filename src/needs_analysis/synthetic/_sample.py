"""The online survey: who responds, in which language, and when.

Respondents are a Poisson sample of the population with unequal, unknown
response propensities (the self-selection of an online migrant survey):
women, younger people, the tertiary-educated and long-stayers respond more,
recent arrivals and people with little Lithuanian less.
"""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd

from ..config import FIELDWORK_END, FIELDWORK_START
from ..errors import NeedsAnalysisError
from . import _models as M
from ._draw import draw_categorical, linpred
from ._facts import POPULATION_SIZES, SAMPLE_TARGETS

__all__ = ["draw_sample", "response_propensity", "META_COLUMNS", "new_uuids", "new_device_ids", "make_meta",
           "draw_lang", "FIELDWORK"]

#: meta columns added to respondents (export order)
META_COLUMNS: tuple[str, ...] = ("_id", "_uuid", "start", "end", "_submission_time", "lang", "device_id")

_ALNUM = np.array(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
_TIME_FMT = "%Y-%m-%dT%H:%M:%S"


def _response_covariates(pop: pd.DataFrame) -> dict[str, np.ndarray]:
    age = pd.to_numeric(pop["age"]).to_numpy(dtype=float)
    yl = pop["years_lt"].to_numpy(dtype=object)
    return {
        "female": (pop["sex"] == "female").to_numpy(dtype=float),
        "tertiary": (pop["education"] == "tertiary").to_numpy(dtype=float),
        "age18_29": (age <= 29).astype(float),
        "age45_64": ((age >= 45) & (age <= 64)).astype(float),
        "age65": (age >= 65).astype(float),
        "yrs_lt1": (yl == "lt_1").astype(float),
        "yrs_5_9": (yl == "y5_9").astype(float),
        "yrs_10": (yl == "y10_plus").astype(float),
        "lt_low": pop["lt_level"].isin(["none", "basic"]).to_numpy(dtype=float),
        "cit_CA": (pop["citgrp"] == "central_asia").to_numpy(dtype=float),
        "cit_BY": (pop["citgrp"] == "BY").to_numpy(dtype=float),
        "cit_RU": (pop["citgrp"] == "RU").to_numpy(dtype=float),
        "cit_IN": (pop["citgrp"] == "IN").to_numpy(dtype=float),
        "cit_OT": (pop["citgrp"] == "other_third").to_numpy(dtype=float),
    }


def response_propensity(pop: pd.DataFrame) -> np.ndarray:
    """Relative response propensity ``exp(x'b)`` of each person (coefficients ``_models.RESPONSE``).

    Parameters
    ----------
    pop : DataFrame
        Population in analysis format.

    Returns
    -------
    ndarray
        Positive relative propensities (only ratios matter).
    """
    return np.exp(linpred(_response_covariates(pop), M.RESPONSE, len(pop)))


def _inclusion_probs(rho: np.ndarray, target: float) -> np.ndarray:
    """``pi_i = min(1, c * rho_i)`` with ``c`` solved so that ``sum(pi) = target``."""
    target = min(target, float(len(rho)))
    lo, hi = 0.0, 1.0 / rho.min()
    for _ in range(100):
        c = 0.5 * (lo + hi)
        if np.minimum(1.0, c * rho).sum() < target:
            lo = c
        else:
            hi = c
    return np.minimum(1.0, hi * rho)


def new_uuids(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` random version-4 UUID strings from ``rng`` (reproducible)."""
    return [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(n)]


def new_device_ids(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` Enketo-like web device ids (``ee.kobotoolbox.org:<16 chars>``)."""
    chars = _ALNUM[rng.integers(0, len(_ALNUM), size=(n, 16))]
    return ["ee.kobotoolbox.org:" + "".join(row) for row in chars]


#: the fieldwork period of the reference survey (first and last day)
FIELDWORK: tuple[str, str] = (FIELDWORK_START, FIELDWORK_END)


def _start_times(rng: np.random.Generator, n: int, fieldwork: tuple[str, str] = FIELDWORK) -> pd.DatetimeIndex:
    """Start times: three invitation waves, each decaying, evening-heavy times of day."""
    t0 = pd.Timestamp(fieldwork[0])
    last = (pd.Timestamp(fieldwork[1]) - t0).days
    waves = np.array([0, 30, 61])
    day = waves[rng.integers(0, 3, n)] + np.floor(rng.exponential(7.0, n))
    day = np.where(day > last, rng.integers(0, last + 1, n), day)
    hour = np.clip(rng.normal(18.5, 3.5, n), 6.0, 23.7)
    secs = np.round(day * 86400 + hour * 3600).astype(np.int64)
    return t0 + pd.to_timedelta(secs, unit="s")


def _fmt(ts) -> np.ndarray:
    return pd.DatetimeIndex(ts).strftime(_TIME_FMT).to_numpy(dtype=object)


def draw_lang(rng: np.random.Generator, df: pd.DataFrame) -> np.ndarray:
    """Questionnaire language (lt/en/ru/uk) chosen by each person (``_models.LANG_PROBS``)."""
    lp = np.vstack([M.LANG_PROBS[g] for g in df["citgrp"]]) if len(df) else np.zeros((0, 4))
    lang = draw_categorical(rng, lp, ("lt", "en", "ru", "uk")) if len(df) else np.array([], dtype=object)
    adv = (df["lt_level"] == "advanced").to_numpy(dtype=bool) & (rng.random(len(df)) < M.LANG_LT_IF_ADVANCED)
    return np.where(adv, "lt", lang).astype(object)


def make_meta(rng: np.random.Generator, df: pd.DataFrame, duration_s: np.ndarray | None = None,
              fieldwork: tuple[str, str] = FIELDWORK) -> pd.DataFrame:
    """Submission metadata for the rows of ``df`` (everything but ``_id``).

    Parameters
    ----------
    rng : numpy Generator
    df : DataFrame
        Persons in analysis format (needs ``citgrp`` and ``lt_level``).
    duration_s : ndarray, optional
        Interview durations in seconds; NaN entries (or all, if omitted) are
        drawn log-normal with median ``_models.DURATION_MEDIAN_MIN`` minutes
        (at least 6 minutes).
    fieldwork : (str, str)
        First and last day of fieldwork (ISO dates).

    Returns
    -------
    DataFrame
        ``_uuid``, ``start``, ``end``, ``_submission_time`` (ISO strings
        with seconds, local time), ``lang``, ``device_id``.
    """
    n = len(df)
    lang = draw_lang(rng, df)
    start = _start_times(rng, n, fieldwork)
    drawn = np.maximum(rng.lognormal(np.log(M.DURATION_MEDIAN_MIN * 60), M.DURATION_SIGMA, n), 360.0)
    if duration_s is not None:
        given = np.asarray(duration_s, dtype=float)
        drawn = np.where(np.isnan(given), drawn, given)
    duration_s = drawn
    end = start + pd.to_timedelta(np.round(duration_s).astype(np.int64), unit="s")
    sub = end + pd.to_timedelta(rng.integers(2, 90, n), unit="s")
    return pd.DataFrame({
        "_uuid": pd.Series(new_uuids(rng, n), dtype="str"),
        "start": pd.Series(_fmt(start), dtype="str"),
        "end": pd.Series(_fmt(end), dtype="str"),
        "_submission_time": pd.Series(_fmt(sub), dtype="str"),
        "lang": pd.Series(lang, dtype="str"),
        "device_id": pd.Series(new_device_ids(rng, n), dtype="str"),
    })


def draw_sample(pop: pd.DataFrame, seed: int = 2021, targets: dict[str, int] | None = None, *,
                fieldwork: tuple[str, str] = FIELDWORK) -> pd.DataFrame:
    """Draw the clean survey respondents from the population.

    Parameters
    ----------
    pop : DataFrame
        Output of :func:`build_population` (not modified).
    seed : int, default 2021
    targets : dict, optional
        Expected achieved sample size per municipality. Default:
        ``_facts.SAMPLE_TARGETS`` scaled by the population's size relative to
        ``_facts.POPULATION_SIZES`` (so scaled-down test populations get
        scaled-down samples).

    Returns
    -------
    DataFrame
        The respondents in analysis format: meta columns (``_id``, ``_uuid``,
        ``start``, ``end``, ``_submission_time``, ``lang`` (lt/en/ru/uk),
        ``device_id``), ``person_id``, ``response_prob`` (the true inclusion
        probability, never known in a real survey) and the population's
        columns. Sorted by municipality, then ``_id``.

    Notes
    -----
    Poisson sampling with inclusion probabilities proportional to the
    response propensity, capped at 1, so achieved sizes vary around the
    targets. The resulting non-response bias is what weighting must correct.

    References
    ----------
    Särndal, C.-E. and Lundström, S. (2005). *Estimation in Surveys with
    Nonresponse*. Wiley (response-propensity models).
    """
    if "municipality" not in pop.columns or "person_id" not in pop.columns:
        raise NeedsAnalysisError("not a synthetic population", where="draw_sample(pop)",
                                 expected="the DataFrame returned by build_population")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 2]))
    rho = response_propensity(pop)
    pi = np.zeros(len(pop))
    mun = pop["municipality"].to_numpy(dtype=object)
    for m in dict.fromkeys(mun):
        sel = mun == m
        if targets is not None and m in targets:
            t = float(targets[m])
        else:
            t = SAMPLE_TARGETS[m] * sel.sum() / POPULATION_SIZES[m]
        pi[sel] = _inclusion_probs(rho[sel], t)
    take = rng.random(len(pop)) < pi
    resp = pop.loc[take].reset_index(drop=True)
    n = len(resp)

    meta = make_meta(rng, resp, fieldwork=fieldwork)
    order = np.argsort(meta["_submission_time"].to_numpy(dtype=object), kind="stable")
    ids = np.empty(n, dtype=np.int64)
    ids[order] = 118_403_000 + np.cumsum(rng.integers(3, 25, n))
    meta.insert(0, "_id", ids)
    meta["response_prob"] = pi[take]
    out = pd.concat([meta, resp], axis=1)
    mun_order = {m: i for i, m in enumerate(dict.fromkeys(mun))}
    out = out.assign(_mo=out["municipality"].map(mun_order)).sort_values(["_mo", "_id"], kind="stable")
    cols = [*META_COLUMNS, "person_id", "response_prob"] + [c for c in resp.columns if c != "person_id"]
    return out.drop(columns="_mo")[cols].reset_index(drop=True)
