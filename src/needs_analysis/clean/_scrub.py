"""Direct identifiers: found and removed before anything is written.

Direct identifiers are names, phone numbers, e-mail addresses and free-text
fields (where people write them). :func:`find_identifiers` lists the columns
that hold or may hold them (``validate`` prints the list for review, as
IMPACT's ``cleaningtools::check_pii`` lists columns whose names suggest
personal data); :func:`scrub_identifiers` is applied to every table that
leaves the cleaning stage for ``data/processed/`` or a report pack.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from ..codebook import Codebook
from ..harmonise import ID_COLUMN
from .._pii import identifier_kinds

__all__ = ["scrub_identifiers", "find_identifiers", "identifier_column", "IDENTIFYING_META"]

#: Platform meta columns that identify a person or a device.
IDENTIFYING_META: frozenset[str] = frozenset({
    "device_id", "deviceid", "simserial", "subscriberid", "phonenumber", "username", "_submitted_by", "ipaddr",
    "token", "email", "e-mail",
})
# Column-name vocabulary (en, lt, ru, uk, fr), by what it announces. Stems are looked for inside the name with
# separators removed ("date_of_birth" -> "dateofbirth"); tokens must be a whole word of the name ("tel", not
# "hotel"), so that short words do not match inside unrelated names ("lat" in "population").
_NAME_STEMS: dict[str, tuple[str, ...]] = {
    "name": ("surname", "firstname", "lastname", "fullname", "givenname", "familyname", "username", "vardas",
             "pavard", "фамили", "прізвищ", "prenom", "prénom"),
    "phone": ("phone", "telefon", "телефон", "mobil", "whatsapp", "viber"),
    "e-mail": ("email", "epast", "elpast", "elpaš", "epaš", "почт", "пошт"),
    "address": ("address", "adres", "адрес", "street", "gatv", "улиц", "вулиц"),
    "location": ("gps", "geopoint", "geolocation", "geoloc", "latitude", "longitude", "coordinat", "koordinat",
                 "координат", "neighbourhood", "neighborhood", "voisinage"),
    "id number": ("passport", "pasport", "паспорт", "personalcode", "asmenskod", "nationalid", "idnumber",
                  "documentnumber", "dokumentonumer", "socialsecurity", "taxid"),
    "birth date": ("birth", "gimim", "рожд", "народж"),
    "contact": ("contact", "kontakt", "контакт"),
}
_NAME_TOKENS: dict[str, frozenset[str]] = {
    "name": frozenset({"name", "names", "nom", "имя", "ім'я", "імя"}),
    "phone": frozenset({"tel", "tlf", "cell", "telegram"}),
    "e-mail": frozenset({"mail", "paštas", "pastas"}),
    "location": frozenset({"geo", "lat", "lon", "lng"}),
    "id number": frozenset({"pasas", "ssn", "idno", "nin"}),
    "birth date": frozenset({"dob", "bday"}),
    "ip address": frozenset({"ip", "ipaddress"}),
}
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
#: Columns kept whatever their name or content (ids are pseudonymous; time stamps and codes are not identifiers).
_KEEP = frozenset({ID_COLUMN, "_id", "_uuid", "start", "end", "_submission_time", "language"})


def identifier_column(name: object) -> str | None:
    """What personal data a column name announces, if any.

    Parameters
    ----------
    name : object
        A column name (any language of the questionnaire; Kobo group
        prefixes such as ``group_x/phone`` are fine).

    Returns
    -------
    str or None
        ``"name"``, ``"phone"``, ``"e-mail"``, ``"address"``, ``"location"``
        (GPS, latitude/longitude), ``"id number"`` (passport, personal
        code), ``"birth date"``, ``"contact"`` or ``"ip address"``; None
        when the name suggests none of them.

    Examples
    --------
    >>> identifier_column("respondent_surname"), identifier_column("GPS_latitude"), identifier_column("hotel")
    ('name', 'location', None)
    """
    text = unicodedata.normalize("NFC", _CAMEL.sub("_", str(name))).casefold()
    compact = re.sub(r"[\W_]", "", text)
    tokens = set(re.split(r"[^\w']+|_", text)) | set(re.split(r"[\W_]+", text))
    for what, stems in _NAME_STEMS.items():
        if any(s in compact for s in stems):
            return what
    for what, words in _NAME_TOKENS.items():
        if tokens & words:
            return what
    return None


def _text_columns(df: pd.DataFrame, codebook: Codebook) -> list[str]:
    text_vars = {n for n in codebook.names if codebook.variable(n).type == "text"}
    return [c for c in df.columns if c in text_vars]


def _question(column: object, codebook: Codebook) -> bool:
    """A question of the questionnaire (or one 0/1 column of a select_multiple question)."""
    return column in codebook or str(column).split("/", 1)[0] in codebook


def _content_kinds(col: pd.Series) -> dict[str, int]:
    """Cells holding each kind of identifier (each distinct value looked at once)."""
    values = col.dropna()
    if pd.api.types.is_bool_dtype(values):
        return {}
    if pd.api.types.is_numeric_dtype(values):  # only whole numbers of 8 digits or more can be phone numbers
        values = values[(values.abs() >= 1e7) & (values == np.floor(values))]
    elif not (values.dtype == object or pd.api.types.is_string_dtype(values)):
        return {}
    out: dict[str, int] = {}
    for value, n in values.value_counts(sort=False).items():
        for kind in identifier_kinds(value):
            key = "person_name" if kind == "name" else kind
            out[key] = out.get(key, 0) + int(n)
    return {k: out[k] for k in ("email", "phone", "person_name") if k in out}


def find_identifiers(df: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Where direct identifiers are, or may be (for review; nothing is changed).

    Parameters
    ----------
    df : DataFrame
        Any respondent table (the raw export as read, or analysis data).
    codebook : Codebook
        The questionnaire (its ``text`` questions are free text).

    Returns
    -------
    DataFrame
        ``column, kind, n, detail``, one row per finding. ``kind`` is
        ``free_text`` (a text question), ``meta`` (a device or user id of the
        survey platform) or ``name`` (a column that is not a question and
        whose name announces personal data): :func:`scrub_identifiers`
        removes these columns; ``email``, ``phone`` or ``person_name`` for
        cells of any other column holding one (the detectors of
        :func:`needs_analysis.clean.redact`): it blanks these cells;
        ``review`` for a question whose name suggests personal data (e.g.
        ``birth_year``): kept, as the analysis needs it, but never to be
        published at respondent level. ``n`` is the number of non-blank
        cells (matching cells for the content kinds); ``detail`` says what
        the name announces.

    Notes
    -----
    Like IMPACT's ``check_pii``, column names are matched against a
    vocabulary (here in English, Lithuanian, Russian, Ukrainian and French:
    name, surname, phone, tel, e-mail, address, GPS, latitude/longitude, ID
    number, passport, personal code, birth date, contact...) and the 0/1
    columns of select_multiple questions are not looked at by name; cell
    content is looked at in every other column.
    """
    rows = []
    text_cols = set(_text_columns(df, codebook))
    for c in df.columns:
        if c in _KEEP:
            continue
        col = df[c]
        announced = identifier_column(c)
        if c in text_cols:
            kind = "free_text"
        elif str(c).casefold() in IDENTIFYING_META:
            kind = "meta"
        elif announced and not _question(c, codebook):
            kind = "name"
        elif announced and "/" not in str(c):  # select_multiple 0/1 columns are not judged by name
            kind = "review"
        else:
            kind = None
        if kind is not None:
            rows.append((c, kind, int(col.notna().sum()), announced or ""))
        if kind in (None, "review"):
            rows += [(c, k, n, "") for k, n in _content_kinds(col).items()]
    return pd.DataFrame(rows, columns=["column", "kind", "n", "detail"])


def scrub_identifiers(df: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Remove direct identifiers from a respondent table.

    Parameters
    ----------
    df : DataFrame
        Respondent-level data (not modified).
    codebook : Codebook
        The questionnaire.

    Returns
    -------
    DataFrame
        A copy without the questionnaire's free-text questions
        (``citizenship_other``, ``lt_barriers_other``, ``contact_email``,
        ``comments``...), device/user meta columns, and columns whose name
        announces an identifier; in every other column, a cell holding an
        e-mail address, a phone number or a personal name is blanked.

    Notes
    -----
    The respondent id (the platform's random submission uuid) is kept: it
    links the data to the cleaning log and identifies no one outside the
    survey platform. Questions whose name suggests personal data
    (``review``, e.g. ``birth_year``) are kept: the analysis needs them.
    """
    found = find_identifiers(df, codebook)
    drop = sorted(set(found.loc[found["kind"].isin(["free_text", "meta", "name"]), "column"]))
    out = df.drop(columns=drop)
    for c in sorted(set(found.loc[found["kind"].isin(["email", "phone", "person_name"]), "column"]) - set(drop)):
        col = out[c] if pd.api.types.is_numeric_dtype(out[c]) else out[c].astype(object)
        hit = col.map(lambda v: bool(identifier_kinds(v)))
        out[c] = col.where(~hit, np.nan)
    return out
