"""Vectorised random draws from the models in :mod:`._models`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["linpred", "expit", "draw_binary", "draw_categorical", "draw_ordinal", "draw_multiple"]


def expit(x: np.ndarray) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-x))``."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def linpred(cov: Mapping[str, np.ndarray], coefs: Mapping[str, float], n: int) -> np.ndarray:
    """Linear predictor ``sum_k coefs[k] * cov[k]`` (``const`` is the intercept).

    Parameters
    ----------
    cov : mapping
        Covariate name -> numeric array of length ``n``.
    coefs : mapping
        Covariate name -> coefficient; an unknown name raises ``KeyError``.
    n : int
        Number of rows.

    Returns
    -------
    ndarray
        Float array of length ``n``.
    """
    eta = np.zeros(n, dtype=float)
    for k, b in coefs.items():
        eta += b if k == "const" else b * np.asarray(cov[k], dtype=float)
    return eta


def draw_binary(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """Bernoulli draws with probabilities ``p`` (boolean array)."""
    return rng.random(len(p)) < p


def draw_categorical(rng: np.random.Generator, probs: np.ndarray, categories: Sequence[str]) -> np.ndarray:
    """One categorical draw per row of a probability matrix.

    Parameters
    ----------
    rng : numpy Generator
    probs : ndarray, shape (n, k)
        Non-negative rows; each row is normalised to sum to 1.
    categories : sequence of str
        The ``k`` category codes.

    Returns
    -------
    ndarray of object
        The drawn codes.
    """
    probs = np.asarray(probs, dtype=float)
    probs = probs / probs.sum(axis=1, keepdims=True)
    cum = np.cumsum(probs, axis=1)
    u = rng.random(probs.shape[0])[:, None]
    idx = np.minimum((u > cum).sum(axis=1), probs.shape[1] - 1)
    return np.asarray(categories, dtype=object)[idx]


def draw_ordinal(
    rng: np.random.Generator, eta: np.ndarray, cuts: Sequence[float], categories: Sequence[str]
) -> np.ndarray:
    """Draw from a cumulative-logit (proportional odds) model.

    ``P(Y <= j) = expit(cut_j - eta)``; categories run from the lowest to
    the highest latent value.

    Parameters
    ----------
    rng : numpy Generator
    eta : ndarray
        Linear predictor per row.
    cuts : sequence of float
        Increasing cut points (``len(categories) - 1`` of them).
    categories : sequence of str

    Returns
    -------
    ndarray of object

    References
    ----------
    McCullagh, P. (1980). Regression models for ordinal data. JRSS B 42(2), 109-142.
    """
    latent = eta + rng.logistic(size=len(eta))
    idx = np.searchsorted(np.asarray(cuts, dtype=float), latent)
    return np.asarray(categories, dtype=object)[idx]


def draw_multiple(
    rng: np.random.Generator,
    cov: Mapping[str, np.ndarray],
    models: Mapping[str, Mapping[str, float]],
    choices: Sequence[str],
    fallback: str,
    n: int,
) -> dict[str, np.ndarray]:
    """Draw a select_multiple answer: one logistic model per choice.

    Parameters
    ----------
    rng : numpy Generator
    cov : mapping
        Covariates.
    models : mapping
        Choice -> coefficients (choices without a model are never ticked
        except as the fallback).
    choices : sequence of str
        All choice codes in form order.
    fallback : str
        Choice ticked when a respondent would tick none.
    n : int

    Returns
    -------
    dict
        Choice -> boolean array.
    """
    out = {}
    for c in choices:
        out[c] = draw_binary(rng, expit(linpred(cov, models[c], n))) if c in models else np.zeros(n, dtype=bool)
    none = ~np.any(np.column_stack([out[c] for c in choices]), axis=1)
    out[fallback] = out[fallback] | none
    return out
