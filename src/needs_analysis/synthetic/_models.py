"""Every coefficient of the synthetic population, in one place.

The "truth" of the synthetic population is interpretable because it comes
from these explicit models: binary outcomes are logistic regressions
(``LOGIT``), ordered outcomes are cumulative-logit models (``ORDINAL``),
select_multiple items are one logistic model per choice (``MULTI``) and a
few nominal outcomes are probability tables. All numbers are illustrative.

Covariates (0/1 unless stated; reference categories in brackets):
``const``; ``female`` [male]; ``age18_29``, ``age45_64``, ``age65`` [30-44];
``cit_BY``, ``cit_RU``, ``cit_CA`` (Central Asia), ``cit_IN``, ``cit_OT`` (other
third) [UA]; ``visible`` (IN, Central Asia or other third); ``yrs_lt1``,
``yrs_5_9``, ``yrs_10`` [1-4 years]; ``log_years`` = log(1 + years in
Lithuania) (continuous); ``perm_family``, ``perm_study``, ``perm_permanent``,
``perm_other`` [work]; ``tertiary``; ``female_uaby_tertiary``; ``lt_low``
(none/basic Lithuanian), ``lt_adv`` (advanced); ``renter``, ``rent_private``,
``owner``, ``employer_housing``, ``shared``; ``has_children``; ``employed``
(employed or self-employed), ``unemployed``, ``retired``, ``student``,
``homemaker``; ``overqual`` (tertiary in a medium/low-skilled job);
``n_problems`` (number of housing problems); ``health_poor`` (fair or worse);
``no_gp``; ``no_insurance``; ``discr``; ``emp_help_yes``; ``welcome_fully``;
``mun_vilnius``, ``mun_kaunas``, ``mun_klaipeda``, ``mun_siauliai``,
``mun_jonava``, ``mun_akmene`` and ``mun_small`` (the last three) — outcomes
use a municipality offset relative to the other municipalities, so the six
differ by a few percentage points.
"""

from __future__ import annotations

__all__ = [
    "YEARS_BAND_PROBS", "PERMIT_PROBS", "FEMALE_PROB", "AGE_PARAMS", "EDUCATION_PROBS", "HOUSEHOLD_PROBS",
    "TENURE_PROBS", "EMP_PROBS", "QUAL_PROBS", "INFO_LANGUAGE_PROBS", "LOGIT", "ORDINAL", "MULTI",
    "MISSING_RATES", "RESPONSE", "LANG_PROBS", "DURATION_MEDIAN_MIN", "DURATION_SIGMA",
]

# ---------------------------------------------------------------- demography
#: P(years-in-Lithuania band | citizenship group), bands lt_1, y1_4, y5_9, y10_plus
YEARS_BAND_PROBS: dict[str, tuple[float, float, float, float]] = {
    "UA": (0.22, 0.50, 0.13, 0.15),
    "BY": (0.22, 0.48, 0.13, 0.17),
    "RU": (0.10, 0.25, 0.15, 0.50),
    "central_asia": (0.30, 0.55, 0.10, 0.05),
    "IN": (0.35, 0.50, 0.12, 0.03),
    "other_third": (0.20, 0.40, 0.18, 0.22),
}

#: P(permit grounds | years band), order work, family, study, permanent, other_permit; "_IN" rows for
#: Indian citizens (many students)
PERMIT_PROBS: dict[str, tuple[float, float, float, float, float]] = {
    "lt_1": (0.78, 0.10, 0.08, 0.00, 0.04),
    "y1_4": (0.72, 0.15, 0.08, 0.00, 0.05),
    "y5_9": (0.40, 0.15, 0.02, 0.40, 0.03),
    "y10_plus": (0.08, 0.10, 0.00, 0.80, 0.02),
    "lt_1_IN": (0.55, 0.05, 0.38, 0.00, 0.02),
    "y1_4_IN": (0.50, 0.10, 0.35, 0.00, 0.05),
}

#: P(female | permit grounds); work permits get a citizenship-specific value
FEMALE_PROB: dict[str, float] = {
    "family": 0.72, "study": 0.40, "permanent": 0.52, "other_permit": 0.45,
    "work_UA": 0.13, "work_BY": 0.12, "work_RU": 0.20, "work_central_asia": 0.04, "work_IN": 0.10,
    "work_other_third": 0.12,
}

#: age ~ truncated normal(mean, sd) on [18, max] by permit grounds
AGE_PARAMS: dict[str, tuple[float, float, int]] = {
    "work": (36.0, 9.5, 66), "family": (36.0, 11.0, 85), "study": (23.0, 3.5, 40),
    "permanent": (52.0, 14.0, 92), "other_permit": (38.0, 12.0, 80),
}

EDUCATION = ("primary", "lower_secondary", "upper_secondary", "vocational", "tertiary")
#: P(education | citizenship group) for men; women multiply the odds of tertiary by 2, study permits by 4
EDUCATION_PROBS: dict[str, tuple[float, ...]] = {
    "UA": (0.02, 0.06, 0.24, 0.40, 0.28),
    "BY": (0.02, 0.05, 0.24, 0.40, 0.29),
    "RU": (0.02, 0.06, 0.25, 0.32, 0.35),
    "central_asia": (0.05, 0.15, 0.42, 0.24, 0.14),
    "IN": (0.02, 0.06, 0.30, 0.14, 0.48),
    "other_third": (0.04, 0.08, 0.28, 0.20, 0.40),
}
EDU_FEMALE_TERTIARY_OR = 2.0
EDU_STUDY_TERTIARY_OR = 4.0

HOUSEHOLD = ("alone", "couple", "couple_children", "single_parent", "relatives", "shared_others")
HOUSEHOLD_PROBS: dict[str, tuple[float, ...]] = {
    "work": (0.25, 0.12, 0.12, 0.01, 0.05, 0.45),
    "family": (0.03, 0.30, 0.55, 0.05, 0.05, 0.02),
    "study": (0.30, 0.08, 0.02, 0.00, 0.10, 0.50),
    "permanent": (0.25, 0.30, 0.30, 0.06, 0.07, 0.02),
    "other_permit": (0.30, 0.20, 0.20, 0.05, 0.05, 0.20),
}

TENURE = ("owner", "rent_private", "rent_social", "employer", "relatives", "other_tenure")
TENURE_PROBS: dict[str, tuple[float, ...]] = {
    "work": (0.04, 0.55, 0.01, 0.32, 0.04, 0.04),
    "family": (0.18, 0.65, 0.03, 0.03, 0.08, 0.03),
    "study": (0.01, 0.70, 0.03, 0.01, 0.05, 0.20),
    "permanent": (0.55, 0.30, 0.06, 0.01, 0.06, 0.02),
    "other_permit": (0.10, 0.60, 0.05, 0.05, 0.10, 0.10),
}

EMP = ("employed", "self_employed", "unemployed", "student", "homemaker", "retired", "other_status")
EMP_PROBS: dict[str, tuple[float, ...]] = {
    "work_male": (0.90, 0.03, 0.04, 0.00, 0.00, 0.00, 0.03),
    "work_female": (0.86, 0.03, 0.06, 0.00, 0.02, 0.00, 0.03),
    "family_male": (0.70, 0.08, 0.12, 0.03, 0.02, 0.00, 0.05),
    "family_female": (0.40, 0.05, 0.14, 0.05, 0.30, 0.00, 0.06),
    "study_male": (0.23, 0.00, 0.04, 0.72, 0.00, 0.00, 0.01),
    "study_female": (0.23, 0.00, 0.04, 0.72, 0.00, 0.00, 0.01),
    "permanent_male": (0.72, 0.10, 0.08, 0.00, 0.01, 0.05, 0.04),
    "permanent_female": (0.66, 0.07, 0.08, 0.00, 0.08, 0.06, 0.05),
    "other_permit_male": (0.45, 0.05, 0.22, 0.08, 0.05, 0.00, 0.15),
    "other_permit_female": (0.35, 0.05, 0.22, 0.08, 0.18, 0.00, 0.12),
    "age65": (0.15, 0.03, 0.00, 0.00, 0.00, 0.75, 0.07),
}
#: odds multiplier for unemployment with low Lithuanian (non-work permits) and in the small municipalities
EMP_UNEMP_OR_LT_LOW = 1.6
EMP_UNEMP_OR_SMALL = 1.3

QUAL = ("yes", "applied_refused", "not_applied", "not_needed")
QUAL_PROBS: dict[str, tuple[float, ...]] = {
    "lt_1": (0.08, 0.04, 0.55, 0.33),
    "y1_4": (0.15, 0.07, 0.48, 0.30),
    "y5_9": (0.30, 0.08, 0.35, 0.27),
    "y10_plus": (0.50, 0.06, 0.20, 0.24),
}

INFO_LANGUAGE = ("lt", "en", "ru", "uk", "other_language")
INFO_LANGUAGE_PROBS: dict[str, tuple[float, ...]] = {
    "UA": (0.05, 0.10, 0.35, 0.50, 0.00),
    "BY": (0.05, 0.07, 0.85, 0.00, 0.03),
    "RU": (0.05, 0.07, 0.85, 0.00, 0.03),
    "central_asia": (0.02, 0.12, 0.80, 0.00, 0.06),
    "IN": (0.01, 0.92, 0.02, 0.00, 0.05),
    "other_third": (0.03, 0.70, 0.15, 0.00, 0.12),
}
#: probability that someone with advanced Lithuanian prefers information in Lithuanian
INFO_LANGUAGE_LT_IF_ADVANCED = 0.5

# ---------------------------------------------------------------- binary outcomes (logit of "yes")
_MUN_SMALL_UP = {"mun_siauliai": 0.10, "mun_jonava": 0.20, "mun_akmene": 0.30}

LOGIT: dict[str, dict[str, float]] = {
    "children_u18_hh": {"const": 2.6, "age45_64": -1.8, "age65": -4.0},   # households with children
    "children_u18_other": {"const": -3.2, "female": 0.8},
    "lt_course_12m": {"const": -2.0, "yrs_lt1": 0.2, "yrs_10": -0.8, "perm_permanent": -0.6, "female": 0.4,
                      "tertiary": 0.3, "lt_low": 0.3, "age65": -0.8, "mun_klaipeda": -0.2,
                      "mun_siauliai": -0.4, "mun_jonava": -0.6, "mun_akmene": -0.8},
    "lt_course_want": {"const": -0.3, "lt_low": 1.4, "lt_adv": -1.5, "yrs_lt1": 0.5, "yrs_5_9": -0.3,
                       "yrs_10": -0.7, "female": 0.6, "age45_64": -0.5, "age65": -1.3, "perm_permanent": -0.4,
                       "tertiary": 0.3, "cit_CA": 0.2, "cit_IN": -0.2, "mun_kaunas": 0.10,
                       "mun_klaipeda": 0.15, "mun_siauliai": 0.25, "mun_jonava": 0.30, "mun_akmene": 0.35},
    "occupation_high": {"const": -2.6, "tertiary": 2.5, "female_uaby_tertiary": -1.2, "cit_IN": 0.8,
                        "lt_adv": 0.8, "lt_low": -0.3, "yrs_10": 0.5, "yrs_lt1": -0.3, "mun_vilnius": 0.3,
                        "perm_study": 0.3},
    "occupation_low": {"const": -1.0, "cit_CA": -0.8, "lt_low": 0.3, "female": 0.4, "tertiary": -0.5,
                       "mun_small": 0.3},
    "emp_help": {"const": -1.3, "unemployed": 1.8, "overqual": 0.9, "lt_low": 0.4, "female": 0.3,
                 "yrs_lt1": 0.3, "yrs_10": -0.6, "age65": -1.5, "retired": -1.5, "student": 0.3,
                 "mun_small": 0.2},
    "housing_help": {"const": -2.0, "renter": 0.6, "has_children": 0.5, "yrs_lt1": 0.8, "n_problems": 0.6,
                     "owner": -1.0, "female": 0.1, "mun_vilnius": 0.2},
    "gp_registered": {"const": 0.8, "yrs_10": 1.8, "yrs_5_9": 0.9, "yrs_lt1": -1.2, "perm_permanent": 0.8,
                      "perm_study": -0.8, "female": 0.5, "lt_low": -0.4, "has_children": 0.5, "age65": 0.5,
                      "mun_small": 0.2},
    "health_insurance": {"const": 1.6, "employed": 1.2, "perm_permanent": 1.2, "yrs_lt1": -0.7,
                         "perm_study": 0.3, "unemployed": -1.2, "age65": 1.0, "homemaker": -0.5,
                         "perm_family": 0.3},
    "unmet_medical": {"const": -2.2, "no_gp": 1.0, "no_insurance": 1.1, "lt_low": 0.6, "health_poor": 0.9,
                      "female": 0.3, "cit_IN": 0.2, "cit_OT": 0.2, "mun_kaunas": 0.05, "mun_klaipeda": 0.15,
                      "mun_siauliai": 0.10, "mun_jonava": 0.30, "mun_akmene": 0.40},
    "child_problems": {"const": -0.9, "lt_low": 0.6, "yrs_lt1": 0.6, "visible": 0.3, "mun_vilnius": 0.3},
    "child_serious": {"const": -1.1, "yrs_lt1": 0.3},
    "child_lt_support": {"const": -0.3, "lt_low": 1.0, "yrs_lt1": 0.8, "yrs_10": -1.2, "cit_RU": -0.2,
                         "mun_small": -0.2},
    "kindergarten_needed": {"const": 0.3, "age45_64": -2.0, "age65": -4.0, "age18_29": 0.3},
    "kindergarten_waiting": {"const": -1.2, "mun_vilnius": 0.6, "mun_kaunas": 0.3, "yrs_lt1": 0.7},
    "svc_aware_migration": {"const": 3.2, "log_years": 0.25, "lt_low": -0.4, "tertiary": 0.3},
    "svc_aware_employment": {"const": 0.6, "log_years": 0.25, "lt_low": -0.4, "tertiary": 0.3,
                             "female": 0.2, "unemployed": 1.0},
    "svc_aware_social": {"const": -0.5, "log_years": 0.30, "lt_low": -0.4, "female": 0.3, "has_children": 0.4},
    "svc_aware_info_centre": {"const": -0.7, "log_years": 0.15, "lt_low": -0.2, "tertiary": 0.3,
                              "female": 0.2, "mun_vilnius": 0.4, "mun_kaunas": 0.3, "mun_small": -0.6},
    "svc_aware_legal": {"const": -1.5, "log_years": 0.25, "lt_low": -0.4, "tertiary": 0.4},
    "svc_used_migration": {"const": 1.5, "yrs_10": -2.0, "yrs_5_9": -1.0, "perm_permanent": -0.8},
    "svc_used_employment": {"const": -2.5, "unemployed": 2.5, "lt_low": 0.2},
    "svc_used_social": {"const": -3.0, "has_children": 0.8, "unemployed": 0.6, "age65": 0.8},
    "svc_used_info_centre": {"const": -1.6, "yrs_lt1": 1.0, "yrs_10": -1.0, "lt_low": 0.3},
    "svc_used_legal": {"const": -3.2, "discr": 0.8, "unemployed": 0.3},
    "svc_need_migration": {"const": 0.2, "yrs_lt1": 1.0, "yrs_10": -2.0, "perm_permanent": -1.0,
                           "perm_study": 0.3},
    "svc_need_employment": {"const": -1.6, "unemployed": 2.0, "emp_help_yes": 1.0, "overqual": 0.3},
    "svc_need_social": {"const": -2.3, "has_children": 0.6, "unemployed": 0.6, "age65": 0.8, "health_poor": 0.5},
    "svc_need_info_centre": {"const": -1.0, "yrs_lt1": 0.9, "lt_low": 0.6, "yrs_10": -1.0, "mun_small": -0.2},
    "svc_need_legal": {"const": -2.0, "discr": 1.0, "yrs_lt1": 0.3, "unemployed": 0.4},
    "info_enough": {"const": 0.1, "yrs_lt1": -1.0, "yrs_5_9": 0.3, "yrs_10": 0.9, "lt_low": -0.8,
                    "tertiary": 0.3, "lt_adv": 0.5, "age65": -0.3, "mun_kaunas": 0.1, "mun_small": -0.2},
    "discr_any": {"const": -2.0, "cit_IN": 1.4, "cit_OT": 1.0, "cit_CA": 0.9, "cit_RU": -0.1, "cit_BY": -0.2,
                  "lt_low": 0.3, "yrs_lt1": 0.2, "female": -0.1, "mun_kaunas": 0.1, "mun_klaipeda": 0.2,
                  **_MUN_SMALL_UP},
    "discr_reported": {"const": -1.8, "tertiary": 0.4, "lt_adv": 0.5},
}

# ---------------------------------------------------------------- ordered outcomes
#: name -> (categories from lowest to highest latent value, cut points, linear predictor)
ORDINAL: dict[str, tuple[tuple[str, ...], tuple[float, ...], dict[str, float]]] = {
    "lt_level": (("none", "basic", "intermediate", "advanced"), (0.3, 2.0, 3.6),
                 {"log_years": 0.9, "tertiary": 0.4, "female": 0.3, "age18_29": 0.2, "age65": -0.3,
                  "cit_BY": 0.2, "cit_RU": 0.3, "cit_CA": -0.6, "cit_IN": -0.9, "cit_OT": -0.4,
                  "perm_permanent": 0.8, "mun_siauliai": 0.25, "mun_jonava": 0.35, "mun_akmene": 0.45}),
    "health_selfrated": (("very_bad", "bad", "fair", "good", "very_good"), (-3.5, -2.2, -0.5, 1.2),
                         {"const": 0.5, "age_centred": -0.04, "tertiary": 0.3, "female": -0.1,
                          "unemployed": -0.4}),
    "svc_satisf": (("very_dissatisfied", "dissatisfied", "satisfied", "very_satisfied"), (-2.3, -0.8, 1.6),
                   {"lt_low": -0.4, "visible": -0.3, "discr": -0.7}),
    "lt_friends": (("none", "few", "many"), (0.8, 3.0),
                   {"log_years": 0.8, "lt_adv": 1.0, "lt_low": -0.8, "age18_29": 0.2, "mun_small": 0.2}),
    "feels_welcome": (("not_at_all", "rather_not", "rather", "fully"), (-1.5, 0.0, 2.0),
                      {"const": 0.8, "log_years": 0.3, "perm_permanent": 0.5, "discr": -1.5, "visible": -0.4,
                       "lt_adv": 0.4, "mun_siauliai": 0.1, "mun_jonava": 0.15, "mun_akmene": 0.2,
                       "mun_klaipeda": -0.1}),
    "plans_stay": (("leave_soon", "stay_less_5", "stay_5plus"), (-1.8, 0.2),
                   {"yrs_10": 1.8, "yrs_5_9": 0.9, "yrs_lt1": -0.4, "perm_permanent": 1.0, "perm_family": 0.6,
                    "perm_study": -1.0, "has_children": 0.5, "welcome_fully": 0.5, "discr": -0.5, "owner": 0.8,
                    "cit_IN": -0.5}),
}
#: service-specific intercepts of the satisfaction model
SVC_SATISF_CONST: dict[str, float] = {"migration": 0.3, "employment": 0.4, "social": 0.6, "info_centre": 1.3,
                                      "legal": 0.5}

# ---------------------------------------------------------------- select_multiple (logit per choice)
#: question -> choice -> coefficients; ``fallback`` is chosen when a respondent would tick nothing
MULTI: dict[str, dict[str, dict[str, float]]] = {
    "lt_barriers": {
        "no_time": {"const": -0.3, "employed": 0.5},
        "cost": {"const": -0.8, "unemployed": 0.5, "renter": 0.2},
        "no_courses_nearby": {"const": -2.0, "mun_small": 1.4, "mun_klaipeda": 0.4},
        "schedule": {"const": -1.0, "employed": 0.4},
        "level_unsuitable": {"const": -2.0, "lt_low": -0.3},
        "no_childcare": {"const": -3.5, "has_children": 1.5, "female": 0.8},
        "other_barrier": {"const": -3.0},
    },
    "housing_problems": {
        "overcrowded": {"const": -2.2, "shared": 1.2, "employer_housing": 1.0, "has_children": 0.5,
                        "yrs_lt1": 0.4, "owner": -1.5},
        "cost": {"const": -1.2, "renter": 0.9, "has_children": 0.4, "unemployed": 0.6, "owner": -1.2,
                 "mun_vilnius": 0.4},
        "poor_condition": {"const": -2.0, "employer_housing": 0.9, "renter": 0.4, "mun_small": 0.3},
        "landlord_refused": {"const": -3.2, "visible": 1.3, "renter": 0.8, "yrs_lt1": 0.5, "has_children": 0.4},
        "insecure_contract": {"const": -2.0, "rent_private": 0.9, "employer_housing": 0.5, "yrs_lt1": 0.4},
    },
    "unmet_medical_why": {
        "cost": {"const": -0.8, "no_insurance": 1.2, "unemployed": 0.4},
        "waiting": {"const": -0.2, "no_gp": -0.8},
        "language": {"const": -1.0, "lt_low": 1.2, "visible": 0.3},
        "no_insurance": {"const": -2.5, "no_insurance": 3.0},
        "dont_know_where": {"const": -1.8, "no_gp": 1.0, "yrs_lt1": 0.7},
        "other_reason": {"const": -3.0},
    },
    "info_sources": {
        "official_websites": {"const": 0.2, "tertiary": 0.6, "lt_adv": 0.5, "lt_low": -0.4},
        "social_media": {"const": 0.3, "age18_29": 0.5, "age45_64": -0.5, "age65": -1.2},
        "friends_family": {"const": 0.6, "yrs_lt1": 0.4},
        "employer": {"const": -0.8, "employed": 0.8, "perm_permanent": -0.8},
        "ngo": {"const": -2.2, "visible": 0.4, "yrs_lt1": 0.5},
        "municipality": {"const": -1.8, "mun_small": 0.5, "yrs_10": 0.3},
        "embassy": {"const": -2.5, "cit_IN": 0.8, "cit_OT": 0.6},
        "other_source": {"const": -3.5},
    },
    "discr_settings": {
        "work": {"const": -0.3, "employed": 0.6},
        "housing": {"const": -1.2, "renter": 0.6},
        "health_care": {"const": -1.5},
        "public_services": {"const": -1.2, "yrs_lt1": 0.4},
        "shops": {"const": -1.2},
        "street_transport": {"const": -0.8, "visible": 0.6},
        "police": {"const": -2.5, "visible": 0.5},
        "education": {"const": -2.5, "perm_study": 1.5, "has_children": 0.5},
    },
}
MULTI_FALLBACK: dict[str, str] = {
    "lt_barriers": "no_time", "housing_problems": "no_problems", "unmet_medical_why": "waiting",
    "info_sources": "friends_family", "discr_settings": "street_transport",
}

#: top_needs: a need area is a candidate when the person has that need; score = weight + Gumbel noise,
#: the three highest are ticked
TOP_NEEDS_WEIGHT: dict[str, float] = {
    "language": 1.0, "work": 1.2, "housing": 1.1, "health": 0.9, "children_education": 0.8, "social": 0.5,
    "information": 0.6, "discrimination": 0.7, "documents": 1.0,
}

# ---------------------------------------------------------------- item non-response
#: (P(dont_know), P(refused)) for questions whose choice list has the missing codes
MISSING_RATES: dict[str, tuple[float, float]] = {
    "lt_level": (0.03, 0.01), "lt_course_want": (0.07, 0.01), "qual_recognised": (0.06, 0.015),
    "emp_help": (0.06, 0.015), "housing_help": (0.05, 0.015), "health_selfrated": (0.03, 0.02),
    "gp_registered": (0.04, 0.01), "health_insurance": (0.05, 0.015), "unmet_medical": (0.04, 0.02),
    "child_school_access": (0.05, 0.01), "child_lt_support": (0.06, 0.01), "child_kindergarten": (0.04, 0.01),
    "svc_satisf": (0.05, 0.01), "svc_need": (0.07, 0.01), "info_enough": (0.06, 0.01),
    "discr_any": (0.05, 0.02), "discr_reported": (0.04, 0.02), "feels_welcome": (0.05, 0.015),
    "plans_stay": (0.08, 0.015),
}

# ---------------------------------------------------------------- survey response (online, self-selected)
#: logit of the response propensity (relative; the constant is solved to reach the target sizes)
RESPONSE: dict[str, float] = {
    "female": 0.75, "tertiary": 0.65, "age18_29": 0.40, "age45_64": -0.40, "age65": -1.1,
    "yrs_lt1": -0.35, "yrs_5_9": 0.15, "yrs_10": 0.25, "lt_low": -0.15,
    "cit_RU": 0.15, "cit_CA": -0.8, "cit_IN": -0.4, "cit_OT": -0.3,
}

#: questionnaire language by citizenship group: (lt, en, ru, uk); people with advanced Lithuanian answer
#: in Lithuanian with probability LANG_LT_IF_ADVANCED
LANG_PROBS: dict[str, tuple[float, float, float, float]] = {
    "UA": (0.00, 0.05, 0.40, 0.55),
    "BY": (0.00, 0.08, 0.92, 0.00),
    "RU": (0.00, 0.06, 0.94, 0.00),
    "central_asia": (0.00, 0.25, 0.75, 0.00),
    "IN": (0.00, 1.00, 0.00, 0.00),
    "other_third": (0.00, 0.82, 0.18, 0.00),
}
LANG_LT_IF_ADVANCED = 0.4
DURATION_MEDIAN_MIN = 18.0
DURATION_SIGMA = 0.35
