"""Official anchor numbers and the illustrative sizes built on them.

Every number that comes from a publication carries its source next to it.
Everything else here is *illustrative*: per-municipality figures for third-
country nationals (TCNs) are not published, so the synthetic population uses
plausible sizes and compositions that add up to a believable share of the
national total.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..clean import AGE_GROUPS, CITIZENSHIP_GROUPS

__all__ = [
    "Fact",
    "FACTS",
    "POPULATION_SIZES",
    "SAMPLE_TARGETS",
    "CITGRP_SHARES",
    "CITGRP_COUNTRIES",
    "OTHER_COUNTRY_NAMES",
    "MARGINS_SOURCE",
    "CITGRPS",
    "AGEGRPS",
]


@dataclass(frozen=True)
class Fact:
    """One published number with its source.

    Parameters
    ----------
    value : float
        The number as published.
    description : str
        What it counts.
    source : str
        Publisher, publication and date.
    """

    value: float
    description: str
    source: str


FACTS: dict[str, Fact] = {
    "tcn_permits_total_2021": Fact(
        79_145,
        "third-country nationals holding a valid residence permit in Lithuania on 1 January 2021",
        "Migration Department under the Ministry of the Interior, press release 2021-01-19",
    ),
    "tcn_permits_temporary_2021": Fact(
        61_349,
        "of which temporary residence permits, 1 January 2021",
        "Migration Department under the Ministry of the Interior, press release 2021-01-19",
    ),
    "tcn_permits_permanent_2021": Fact(
        17_796,
        "of which permanent residence permits, 1 January 2021",
        "Migration Department under the Ministry of the Interior, press release 2021-01-19",
    ),
    "residents_ukraine_2019": Fact(
        23_923, "citizens of Ukraine with a residence permit, end of 2019", "Migration Yearbook 2019 (Migration Department)"
    ),
    "residents_belarus_2019": Fact(
        17_769, "citizens of Belarus with a residence permit, end of 2019", "Migration Yearbook 2019 (Migration Department)"
    ),
    "residents_russia_2019": Fact(
        12_649, "citizens of Russia with a residence permit, end of 2019", "Migration Yearbook 2019 (Migration Department)"
    ),
    "immigrants_men_share_2019": Fact(
        0.897, "share of men among foreign (non-returning) immigrants in 2019", "Statistics Lithuania (Official Statistics Portal)"
    ),
    "temporary_permits_issued_2021": Fact(
        35_404,
        "temporary residence permits issued to TCNs in 2021",
        "Migration Department statistics for 2021 (figure as given in the study brief; check Migration Yearbook 2021)",
    ),
    "temporary_permits_work_2021": Fact(
        30_000,
        "of which issued on work grounds (about)",
        "Migration Department statistics for 2021 (figure as given in the study brief; check Migration Yearbook 2021)",
    ),
}

#: Illustrative adult (18+) TCN populations per municipality (not published; chosen so that the six
#: municipalities hold about four fifths of the national stock, Vilnius the bulk).
POPULATION_SIZES: dict[str, int] = {
    "vilnius": 40_000,
    "kaunas": 11_000,
    "klaipeda": 8_000,
    "siauliai": 2_500,
    "jonava": 900,
    "akmene": 350,
}

#: Target achieved sample sizes of the online survey.
SAMPLE_TARGETS: dict[str, int] = {
    "vilnius": 600,
    "kaunas": 350,
    "klaipeda": 300,
    "siauliai": 200,
    "jonava": 120,
    "akmene": 60,
}

#: Citizenship and age groups, in the order of :mod:`needs_analysis.clean._derive` (the single definition).
CITGRPS: tuple[str, ...] = tuple(CITIZENSHIP_GROUPS)
AGEGRPS: tuple[str, ...] = tuple(label for label, _ in AGE_GROUPS)

#: Illustrative citizenship-group composition per municipality (shares sum to 1). Vilnius: more BY, RU,
#: IN and Central Asian; Klaipėda: UA and RU (port city); Kaunas: UA, BY and Central Asian drivers;
#: Šiauliai, Jonava, Akmenė: mostly UA and BY. Combined, UA:BY:RU is close to the 2019 ratios above.
CITGRP_SHARES: dict[str, dict[str, float]] = {
    "vilnius": {"UA": 0.26, "BY": 0.30, "RU": 0.16, "central_asia": 0.11, "IN": 0.07, "other_third": 0.10},
    "kaunas": {"UA": 0.36, "BY": 0.24, "RU": 0.09, "central_asia": 0.17, "IN": 0.04, "other_third": 0.10},
    "klaipeda": {"UA": 0.40, "BY": 0.14, "RU": 0.26, "central_asia": 0.08, "IN": 0.03, "other_third": 0.09},
    "siauliai": {"UA": 0.46, "BY": 0.28, "RU": 0.10, "central_asia": 0.06, "IN": 0.03, "other_third": 0.07},
    "jonava": {"UA": 0.50, "BY": 0.30, "RU": 0.07, "central_asia": 0.06, "IN": 0.01, "other_third": 0.06},
    "akmene": {"UA": 0.52, "BY": 0.33, "RU": 0.06, "central_asia": 0.04, "IN": 0.01, "other_third": 0.04},
}

#: Countries (questionnaire codes) within each citizenship group, with within-group shares.
CITGRP_COUNTRIES: dict[str, dict[str, float]] = {
    "UA": {"UA": 1.0},
    "BY": {"BY": 1.0},
    "RU": {"RU": 1.0},
    "IN": {"IN": 1.0},
    "central_asia": {"UZ": 0.45, "TJ": 0.20, "KG": 0.15, "KZ": 0.20},
    "other_third": {
        "AZ": 0.12, "GE": 0.10, "AM": 0.08, "MD": 0.10, "TR": 0.10, "CN": 0.06, "PK": 0.06, "BD": 0.05,
        "NG": 0.04, "LK": 0.04, "NP": 0.04, "PH": 0.04, "US": 0.05, "GB": 0.04, "other_country": 0.08,
    },
}

#: Third countries not in the questionnaire list, written in ``citizenship_other`` (English names).
OTHER_COUNTRY_NAMES: tuple[str, ...] = (
    "Egypt", "Vietnam", "Brazil", "Mongolia", "Iran", "Jordan", "Israel", "Serbia", "Mexico", "Canada",
)

MARGINS_SOURCE = (
    "illustrative (synthetic population, seed {seed}); anchored to Migration Department 2021-01-19 "
    "national total of 79,145 TCN residence-permit holders"
)
