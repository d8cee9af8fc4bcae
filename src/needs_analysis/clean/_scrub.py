"""Direct identifiers: found and removed before anything is written.

Direct identifiers are names, phone numbers, e-mail addresses and free-text
fields (where people write them). :func:`scrub_identifiers` is applied to
every table that leaves the cleaning stage for ``data/processed/`` or a
report pack.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..codebook import Codebook
from ..harmonise import ID_COLUMN
from ._log import EMAIL_RE, PHONE_RE

__all__ = ["scrub_identifiers", "find_identifiers", "IDENTIFYING_META", "IDENTIFIER_NAME_RE"]

#: Platform meta columns that identify a person or a device.
IDENTIFYING_META: frozenset[str] = frozenset({
    "device_id", "deviceid", "simserial", "subscriberid", "phonenumber", "username", "_submitted_by", "ipaddr",
    "token", "email", "e-mail",
})
#: Column names that announce a direct identifier (en/lt/ru/uk).
IDENTIFIER_NAME_RE = re.compile(
    r"(e-?mail|phone|mobile|tel(ephone)?|name|surname|address|contact|passport|personal_code|"
    r"vardas|pavard|telefon|adresas|el_pastas|pastas|asmens_kodas|"
    r"имя|фамили|телефон|адрес|почта|ім'я|прізвищ|пошта)",
    re.IGNORECASE,
)
#: Columns kept whatever their name (ids are pseudonymous; time stamps and codes are not identifiers).
_KEEP = frozenset({ID_COLUMN, "_id", "_uuid", "start", "end", "_submission_time", "language"})


def _text_columns(df: pd.DataFrame, codebook: Codebook) -> list[str]:
    text_vars = {n for n in codebook.names if codebook.variable(n).type == "text"}
    return [c for c in df.columns if c in text_vars]


def find_identifiers(df: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Where direct identifiers are (for reports; nothing is changed).

    Parameters
    ----------
    df : DataFrame
        Any respondent table.
    codebook : Codebook
        The questionnaire (its ``text`` questions are free text).

    Returns
    -------
    DataFrame
        ``column, kind, n``: ``kind`` is ``free_text`` (a text question),
        ``meta`` (device or user id), ``name`` (the column name announces an
        identifier), ``email`` or ``phone`` (cells holding one), ``n`` the
        number of non-blank or matching cells.
    """
    rows = []
    text_cols = set(_text_columns(df, codebook))
    for c in df.columns:
        if c in _KEEP:
            continue
        col = df[c]
        filled = int(col.notna().sum())
        if c in text_cols:
            rows.append((c, "free_text", filled))
            continue
        if str(c).casefold() in IDENTIFYING_META:
            rows.append((c, "meta", filled))
            continue
        if c not in codebook and "/" not in str(c) and IDENTIFIER_NAME_RE.search(str(c)):
            rows.append((c, "name", filled))
            continue
        if col.dtype == object or pd.api.types.is_string_dtype(col):
            s = col.astype(object).map(lambda v: v if isinstance(v, str) else "")
            n_mail = int(s.map(lambda v: bool(EMAIL_RE.search(v))).sum())
            n_phone = int(s.map(lambda v: bool(PHONE_RE.search(v))).sum())
            if n_mail:
                rows.append((c, "email", n_mail))
            if n_phone:
                rows.append((c, "phone", n_phone))
    return pd.DataFrame(rows, columns=["column", "kind", "n"])


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
        announces an identifier; in every other text column, a cell holding
        an e-mail address or a phone number is blanked.

    Notes
    -----
    The respondent id (the platform's random submission uuid) is kept: it
    links the data to the cleaning log and identifies no one outside the
    survey platform.
    """
    found = find_identifiers(df, codebook)
    drop = sorted(set(found.loc[found["kind"].isin(["free_text", "meta", "name"]), "column"]))
    out = df.drop(columns=drop)
    for c in sorted(set(found.loc[found["kind"].isin(["email", "phone"]), "column"]) - set(drop)):
        col = out[c].astype(object)
        hit = col.map(lambda v: isinstance(v, str) and bool(EMAIL_RE.search(v) or PHONE_RE.search(v)))
        out[c] = col.where(~hit, np.nan)
    return out
