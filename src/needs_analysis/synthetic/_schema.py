"""The questionnaire structure as the generator needs it (codes only).

The generator builds the population in codes and does not need the XLSForm;
this module mirrors the questionnaire contract (variable names, types,
choice codes, relevance rules) so that the population can be built without
reading the form. ``tests/test_synthetic.py`` checks that it agrees with
:mod:`needs_analysis.codebook` (names, codes and ``relevant_mask``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["SERVICES", "QUESTIONS", "MULTIPLE_CHOICES", "question_names", "relevance_masks"]

SERVICES: tuple[str, ...] = ("migration", "employment", "social", "info_centre", "legal")


#: choice codes of every select_multiple question, in form order
MULTIPLE_CHOICES: dict[str, tuple[str, ...]] = {
    "lt_barriers": ("no_time", "cost", "no_courses_nearby", "schedule", "level_unsuitable", "no_childcare",
                    "other_barrier"),
    "housing_problems": ("overcrowded", "cost", "poor_condition", "landlord_refused", "insecure_contract",
                         "no_problems"),
    "unmet_medical_why": ("cost", "waiting", "language", "no_insurance", "dont_know_where", "other_reason"),
    "info_sources": ("official_websites", "social_media", "friends_family", "employer", "ngo", "municipality",
                     "embassy", "other_source"),
    "discr_settings": ("work", "housing", "health_care", "public_services", "shops", "street_transport", "police",
                       "education"),
    "top_needs": ("language", "work", "housing", "health", "children_education", "social", "information",
                  "discrimination", "documents"),
}


def _questions() -> tuple[tuple[str, str], ...]:
    q: list[tuple[str, str]] = [
        ("consent", "select_one"), ("municipality", "select_one"), ("birth_year", "integer"),
        ("citizenship", "select_one"), ("citizenship_other", "text"),
        ("sex", "select_one"), ("education", "select_one"), ("household", "select_one"),
        ("children_u18", "select_one"), ("n_children", "integer"),
        ("arrival_year", "integer"), ("permit_grounds", "select_one"),
        ("lt_level", "select_one"), ("lt_course_12m", "select_one"), ("lt_course_want", "select_one"),
        ("lt_barriers", "select_multiple"), ("lt_barriers_other", "text"),
        ("emp_status", "select_one"), ("occupation_level", "select_one"), ("qual_recognised", "select_one"),
        ("emp_help", "select_one"),
        ("tenure", "select_one"), ("housing_problems", "select_multiple"), ("housing_help", "select_one"),
        ("health_selfrated", "select_one"), ("gp_registered", "select_one"), ("health_insurance", "select_one"),
        ("unmet_medical", "select_one"), ("unmet_medical_why", "select_multiple"),
        ("child_school_access", "select_one"), ("child_lt_support", "select_one"),
        ("child_kindergarten", "select_one"),
    ]
    for s in SERVICES:
        q += [(f"svc_aware_{s}", "select_one"), (f"svc_used_{s}", "select_one"),
              (f"svc_satisf_{s}", "select_one"), (f"svc_need_{s}", "select_one")]
    q += [
        ("info_sources", "select_multiple"), ("info_language", "select_one"), ("info_enough", "select_one"),
        ("discr_any", "select_one"), ("discr_settings", "select_multiple"), ("discr_reported", "select_one"),
        ("lt_friends", "select_one"), ("feels_welcome", "select_one"), ("plans_stay", "select_one"),
        ("top_needs", "select_multiple"), ("contact_email", "text"), ("comments", "text"),
    ]
    return tuple(q)


#: (name, type) of every question, in form order
QUESTIONS: tuple[tuple[str, str], ...] = _questions()


def question_names() -> tuple[str, ...]:
    """Names of all questions in form order."""
    return tuple(n for n, _ in QUESTIONS)


def _eq(df: pd.DataFrame, col: str, value: str) -> np.ndarray:
    return (df[col] == value).fillna(False).to_numpy(dtype=bool)


def relevance_masks(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Which questions were asked of each row (the form's ``relevant`` rules).

    Parameters
    ----------
    df : DataFrame
        Answers in codes (select_multiple as space-separated codes).

    Returns
    -------
    dict
        Question name -> boolean array (True = asked), only for questions
        with a condition; every other question is asked of everyone who
        consented.

    Notes
    -----
    Mirrors the ``relevant`` column of the questionnaire contract; the test
    suite checks agreement with ``Codebook.relevant_mask``.
    """
    m: dict[str, np.ndarray] = {}
    m["citizenship_other"] = _eq(df, "citizenship", "other_country")
    m["n_children"] = _eq(df, "children_u18", "yes")
    m["lt_barriers"] = _eq(df, "lt_course_want", "yes")
    other = df["lt_barriers"].map(lambda v: isinstance(v, str) and "other_barrier" in v.split())
    m["lt_barriers_other"] = m["lt_barriers"] & other.to_numpy(dtype=bool)
    m["occupation_level"] = _eq(df, "emp_status", "employed") | _eq(df, "emp_status", "self_employed")
    m["qual_recognised"] = _eq(df, "education", "vocational") | _eq(df, "education", "tertiary")
    m["unmet_medical_why"] = _eq(df, "unmet_medical", "yes")
    for c in ("child_school_access", "child_lt_support", "child_kindergarten"):
        m[c] = m["n_children"].copy()
    for s in SERVICES:
        m[f"svc_used_{s}"] = _eq(df, f"svc_aware_{s}", "yes")
        m[f"svc_satisf_{s}"] = m[f"svc_used_{s}"] & _eq(df, f"svc_used_{s}", "yes")
    m["discr_settings"] = _eq(df, "discr_any", "yes")
    m["discr_reported"] = m["discr_settings"].copy()
    return m
