"""Country names in Lithuanian, English, Russian and Ukrainian -> ISO 3166-1 alpha-2.

Citizenship arrives as a choice label, as an ISO code (alpha-2 or alpha-3), or
typed into an "other, specify" field in any of the questionnaire languages
(often as the country's own name: "O'zbekiston", "Тоҷикистон"). The table
``resources/countries.csv`` (``iso2, iso3, name_en, name_lt, name_ru, name_uk,
aliases``; aliases separated by ``|``) is plain data that a user can extend;
nothing is read at import time.

Examples
--------
>>> from needs_analysis.countries import to_iso
>>> to_iso("Украина"), to_iso(" uzb "), to_iso("O'zbekiston"), to_iso("Atlantis")
('UA', 'UZ', 'UZ', None)
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from .codebook import normalise_text
from .errors import NeedsAnalysisError

__all__ = ["country_table", "to_iso", "normalise_countries", "is_eu_eea", "EU_EEA", "country_name"]

#: EU member states, EEA countries and Switzerland: their citizens are not third-country nationals.
EU_EEA: frozenset[str] = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO CH".split()
)
_NAME_COLUMNS = ("name_en", "name_lt", "name_ru", "name_uk")
_REQUIRED = ("iso2", "iso3", *_NAME_COLUMNS)


def _default_path() -> Path:
    return Path(str(resources.files("needs_analysis") / "resources" / "countries.csv"))


def _fold(text: object) -> str:
    """Matching key: :func:`normalise_text` plus punctuation-insensitive (``Sri-Lanka`` = ``sri lanka``)."""
    s = normalise_text(text)
    for ch in "'.,()-\u02bb":
        s = s.replace(ch, " ")
    return " ".join(s.split())


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[pd.DataFrame, dict[str, str]]:
    p = Path(path)
    try:
        table = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise NeedsAnalysisError(f"cannot read the country table ({type(exc).__name__})", where=str(p),
                                 expected="a UTF-8 CSV with columns " + ", ".join(_REQUIRED),
                                 fix="restore resources/countries.csv") from None
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        raise NeedsAnalysisError(f"country table lacks column(s) {', '.join(missing)}", where=str(p),
                                 expected="columns " + ", ".join(_REQUIRED), fix="restore resources/countries.csv")
    if "aliases" not in table.columns:
        table["aliases"] = ""
    index: dict[str, str] = {}
    conflicts: list[str] = []
    for rec in table.to_dict("records"):
        iso2 = rec["iso2"].strip().upper()
        keys = [iso2, rec["iso3"], *(rec[c] for c in _NAME_COLUMNS), *rec["aliases"].split("|")]
        for key in keys:
            k = _fold(key)
            if not k:
                continue
            if index.setdefault(k, iso2) != iso2:
                conflicts.append(f"{key!r} ({index[k]} and {iso2})")
    if conflicts:
        raise NeedsAnalysisError(f"country table has ambiguous names: {'; '.join(conflicts[:3])}", where=str(p),
                                 expected="each name or alias for one country only", fix="remove one of the entries")
    return table, index


def country_table(path: str | Path | None = None) -> pd.DataFrame:
    """The country table (a copy): ``iso2, iso3, name_en, name_lt, name_ru, name_uk, aliases``.

    Parameters
    ----------
    path : str or Path, optional
        Another table with the same columns; default the packaged one.
    """
    return _load(str(path or _default_path()))[0].copy()


def to_iso(text: object, path: str | Path | None = None) -> str | None:
    """ISO 3166-1 alpha-2 code of a country given as a name (lt/en/ru/uk or alias) or ISO code.

    Parameters
    ----------
    text : object
        Name as typed, alpha-2 or alpha-3 code. Case, surrounding and
        repeated spaces, Unicode composition, apostrophe style, dots, commas,
        hyphens and parentheses are ignored.
    path : str or Path, optional
        Country table to use (default the packaged one).

    Returns
    -------
    str or None
        The alpha-2 code, or None when nothing matches.
    """
    key = _fold(text)
    if not key:
        return None
    index = _load(str(path or _default_path()))[1]
    hit = index.get(key)
    if hit is None and key.startswith("the "):
        hit = index.get(key[4:])
    return hit


def normalise_countries(values: pd.Series, path: str | Path | None = None) -> tuple[pd.Series, pd.Series]:
    """Normalise a column of country entries to ISO alpha-2 codes.

    Parameters
    ----------
    values : Series
        Country names or codes as entered (not modified).
    path : str or Path, optional
        Country table to use.

    Returns
    -------
    iso : Series
        Alpha-2 codes (object dtype), NaN where blank or unmatched.
    unmatched : Series of bool
        True where a non-blank entry matched no country (to be reported).
    """
    iso = values.astype(object).map(lambda v: to_iso(v, path))
    blank = values.astype(object).map(lambda v: not _fold(v))
    return iso.astype(object), (iso.isna() & ~blank).astype(bool)


def is_eu_eea(iso2: object) -> bool:
    """True for EU, EEA and Swiss citizenships (not third-country nationals)."""
    return isinstance(iso2, str) and iso2.upper() in EU_EEA


def country_name(iso2: str, lang: str = "en", path: str | Path | None = None) -> str:
    """Name of the country ``iso2`` in ``lang`` (lt, en, ru or uk).

    Raises
    ------
    NeedsAnalysisError
        Unknown code or language.
    """
    if lang not in ("lt", "en", "ru", "uk"):
        raise NeedsAnalysisError(f"unknown language {lang!r}", expected="lt, en, ru or uk", exit_code=2)
    table = _load(str(path or _default_path()))[0]
    hit = table.loc[table["iso2"].str.upper() == str(iso2).upper(), f"name_{lang}"]
    if hit.empty:
        raise NeedsAnalysisError(f"unknown country code {iso2!r}", where="country table",
                                 expected="an ISO 3166-1 alpha-2 code in resources/countries.csv")
    return str(hit.iloc[0])
