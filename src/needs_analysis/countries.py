"""Country names in Lithuanian, English, Russian and Ukrainian -> ISO 3166-1 alpha-2.

Citizenship arrives as a choice label, as an ISO code (alpha-2 or alpha-3), or
typed into an "other, specify" field in any of the questionnaire languages
(often as the country's own name: "O'zbekiston", "Тоҷикистон"). Names are
matched exactly after :func:`needs_analysis.codebook.normalise_text` (case,
Unicode composition, apostrophe and dash styles, spaces) and without dots,
commas, hyphens, parentheses and a leading "the"; nothing is guessed: no
fuzzy matching, so "Niger" and "Nigeria" stay apart and unknown text gives
None (the loader reports it as an unmapped answer). Two layers:

1. ISO 3166-1 as pycountry ships it: the 249 countries' alpha-2 and alpha-3
   codes, English ``name``, ``official_name`` and ``common_name``, and their
   Lithuanian, Russian and Ukrainian translations from pycountry's gettext
   catalogues (domain ``iso3166-1``). A name two countries share there would
   be ambiguous and maps to nothing.
2. The project's table ``resources/countries.csv`` on top (``iso2, iso3,
   name_en, name_lt, name_ru, name_uk, aliases``; aliases separated by
   ``|``): display names where ISO's are formal ("Russia" for "Russian
   Federation"), colloquial forms, abbreviations and endonyms ("USA",
   "Россия", "Kirgizija", "O'zbekiston"), and codes ISO 3166-1 lacks (XK,
   Kosovo). A blank name cell means ISO's name in that language. Its entries
   win over layer 1; a user can extend it (``path=`` arguments).

Nothing is read at import time.

Examples
--------
>>> from needs_analysis.countries import to_iso
>>> to_iso("Украина"), to_iso(" uzb "), to_iso("O'zbekiston"), to_iso("Eritrėja"), to_iso("Atlantis")
('UA', 'UZ', 'UZ', 'ER', None)
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from .codebook import normalise_text
from .errors import NeedsAnalysisError

__all__ = ["country_table", "country_names", "to_iso", "normalise_countries", "is_eu_eea", "EU_EEA", "country_name"]

#: EU member states, EEA countries and Switzerland: their citizens are not third-country nationals.
EU_EEA: frozenset[str] = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO CH".split()
)
_NAME_COLUMNS = ("name_en", "name_lt", "name_ru", "name_uk")
_REQUIRED = ("iso2", "iso3", *_NAME_COLUMNS)
#: pycountry attributes holding a country's English names, the display name's source first
_ISO_NAME_ATTRS = ("common_name", "name", "official_name")


def _default_path() -> Path:
    return Path(str(resources.files("needs_analysis") / "resources" / "countries.csv"))


def _fold(text: object) -> str:
    """Matching key: :func:`normalise_text` plus punctuation-insensitive (``Sri-Lanka`` = ``sri lanka``)."""
    s = normalise_text(text)
    for ch in "'.,()-\u02bb":
        s = s.replace(ch, " ")
    return " ".join(s.split())


@lru_cache(maxsize=1)
def _iso_countries() -> dict[str, dict[str, tuple[str, ...]]]:
    """ISO 3166-1 from pycountry: ``{iso2: {"iso3": (code,), "en": names, "lt": ..., "ru": ..., "uk": ...}}``.

    Names per language without repeats, the display name (``common_name``
    if ISO has one, else ``name``) first; the translations come from
    pycountry's gettext catalogues (an untranslated name stays English).
    """
    import pycountry  # imported here: the package's import stays light and reads no file

    catalogues = {lang: gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
                  for lang in ("lt", "ru", "uk")}
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for country in pycountry.countries:
        english = [n for n in (getattr(country, a, None) for a in _ISO_NAME_ATTRS) if n]
        names = {"iso3": (country.alpha_3,), "en": tuple(dict.fromkeys(english))}
        for lang, cat in catalogues.items():
            names[lang] = tuple(dict.fromkeys(cat.gettext(n) for n in english))
        out[country.alpha_2] = names
    return out


def _unique_keys(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Matching keys that name one country only.

    Parameters
    ----------
    pairs : iterable of (str, str)
        ``(name or code, iso2)``.

    Returns
    -------
    dict of str to str
        ``{folded name: iso2}`` without the names that two countries share.
    """
    seen: dict[str, set[str]] = {}
    for name, iso2 in pairs:
        k = _fold(name)
        if k:
            seen.setdefault(k, set()).add(iso2)
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}


def _read_table(p: Path) -> pd.DataFrame:
    """The project's country table, cells stripped and codes upper-case, checked against ISO 3166-1."""
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
    table = table.map(str.strip)
    table["iso2"] = table["iso2"].str.upper()
    table["iso3"] = table["iso3"].str.upper()
    iso = _iso_countries()
    for i, rec in enumerate(table.to_dict("records"), start=2):
        where = f"{p}, line {i}"
        known = iso.get(rec["iso2"])
        if known is not None and rec["iso3"] != known["iso3"][0]:
            raise NeedsAnalysisError(f"country {rec['iso2']} has alpha-3 {rec['iso3']!r}", where=where,
                                     expected=f"ISO 3166-1 alpha-3 {known['iso3'][0]}", fix="correct the iso3 cell")
        if known is None and not all(rec[c] for c in _NAME_COLUMNS):
            raise NeedsAnalysisError(f"{rec['iso2']!r} is not an ISO 3166-1 alpha-2 code and has a blank name",
                                     where=where, expected="names in all four languages for a code ISO lacks",
                                     fix="fill in name_en, name_lt, name_ru and name_uk")
    return table


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[pd.DataFrame, dict[str, str]]:
    p = Path(path)
    table = _read_table(p)
    iso = _iso_countries()
    # layer 2: the project's names and aliases; a name given to two countries is an error in the table
    own: dict[str, str] = {}
    conflicts: list[str] = []
    for rec in table.to_dict("records"):
        iso2 = rec["iso2"]
        for key in (iso2, rec["iso3"], *(rec[c] for c in _NAME_COLUMNS), *rec["aliases"].split("|")):
            k = _fold(key)
            if k and own.setdefault(k, iso2) != iso2:
                conflicts.append(f"{key!r} ({own[k]} and {iso2})")
    if conflicts:
        raise NeedsAnalysisError(f"country table has ambiguous names: {'; '.join(conflicts[:3])}", where=str(p),
                                 expected="each name or alias for one country only", fix="remove one of the entries")
    # layer 1: ISO codes and pycountry's names in four languages, under the project's entries
    index = _unique_keys((name, iso2) for iso2, names in iso.items()
                         for name in (iso2, *(n for group in names.values() for n in group)))
    index.update(own)
    # every country with its display names: the table's, else ISO's (common name first)
    rows = {iso2: {"iso2": iso2, "iso3": names["iso3"][0], "aliases": "",
                   **{f"name_{lang}": names[lang][0] for lang in ("en", "lt", "ru", "uk")}}
            for iso2, names in iso.items()}
    for rec in table.to_dict("records"):
        base = rows.get(rec["iso2"], {})
        rows[rec["iso2"]] = {**base, **{c: v for c, v in rec.items() if v or c not in base}}
    columns = ["iso2", "iso3", *_NAME_COLUMNS, "aliases"]
    full = pd.DataFrame([rows[k] for k in sorted(rows)], columns=columns)
    return full, index


def country_table(path: str | Path | None = None) -> pd.DataFrame:
    """Every known country (a copy): ``iso2, iso3, name_en, name_lt, name_ru, name_uk, aliases``.

    The 249 ISO 3166-1 countries and any further code of the project's
    table, sorted by ``iso2``; names are the table's display names where it
    has them, else ISO's (pycountry's ``common_name`` or ``name`` and its
    translations); ``aliases`` are the table's.

    Parameters
    ----------
    path : str or Path, optional
        Another project table with the same columns; default the packaged one.
    """
    return _load(str(path or _default_path()))[0].copy()


def country_names(path: str | Path | None = None) -> tuple[str, ...]:
    """Every name a country is known by, as written: ISO's and the table's, in en/lt/ru/uk, and the aliases.

    Parameters
    ----------
    path : str or Path, optional
        Another project table with the same columns; default the packaged one.

    Returns
    -------
    tuple of str
        pycountry's ``name``, ``official_name`` and ``common_name`` with their
        lt/ru/uk translations, then the table's names and aliases; no
        repeats, first occurrence kept.
    """
    iso = _iso_countries()
    names = [n for entry in iso.values() for lang in ("en", "lt", "ru", "uk") for n in entry[lang]]
    table = _load(str(path or _default_path()))[0]
    names += [str(v) for c in _NAME_COLUMNS for v in table[c]]
    names += [a for v in table["aliases"] for a in str(v).split("|")]
    return tuple(dict.fromkeys(n for n in names if n.strip()))


def to_iso(text: object, path: str | Path | None = None) -> str | None:
    """ISO 3166-1 alpha-2 code of a country given as a name (lt/en/ru/uk or alias) or ISO code.

    Parameters
    ----------
    text : object
        Name as typed, alpha-2 or alpha-3 code. Case, surrounding and
        repeated spaces, Unicode composition, apostrophe style, dots, commas,
        hyphens, parentheses and a leading "the" are ignored.
    path : str or Path, optional
        Project country table to use (default the packaged one); ISO 3166-1
        names are always known.

    Returns
    -------
    str or None
        The alpha-2 code, or None when nothing matches exactly or the text
        names more than one country (no fuzzy matching).
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

    Parameters
    ----------
    iso2 : str
        ISO 3166-1 alpha-2 code (or a further code of the project's table).
    lang : str, default "en"
        Language of the name.
    path : str or Path, optional
        Project country table to use (default the packaged one).

    Returns
    -------
    str
        The table's display name, else ISO's common or short name.

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
                                 expected="an ISO 3166-1 alpha-2 code")
    return str(hit.iloc[0])
