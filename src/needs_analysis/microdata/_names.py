"""Variable names valid in SPSS and in Stata, and the mapping from the data's names.

The data's names are the questionnaire's (``lt_level``) and, for the 0/1 columns
of select_multiple questions, ``question/choice`` (``needs/housing``), which
neither program accepts. :func:`safe_names` maps every name to one that both
accept, the same way every time:

1. ``/`` becomes ``__`` (``needs/housing`` -> ``needs__housing``); any other
   character that is not an ASCII letter, digit or ``_`` becomes ``_``;
2. leading characters that are not letters are removed (``_uuid`` -> ``uuid``),
   trailing underscores too; an empty name becomes ``v``;
3. a reserved word of either program (SPSS ``ALL AND BY EQ GE GT LE LT NE NOT OR
   TO WITH``; Stata ``_all byte double float if in int long strL using with``
   and ``str1``...``str2045``...) gets ``_v`` appended;
4. a name longer than 28 characters keeps its first 22 characters, then ``_``
   and the first 5 hexadecimal digits of the SHA-256 of the original name
   (``unmet_medical_why/dont_know_where`` -> ``unmet_medical_why__don_aa626``).
   Stata allows 32 characters (SPSS 64 bytes), but the Stata writer (pyreadstat)
   names a variable's value-label set after it with a running number added,
   which must fit in 32 too;
5. a name equal to an earlier one, ignoring case (SPSS ignores case), gets
   ``_2``, ``_3``... (shortened to keep 28 characters).

The mapping is written into every export's data dictionary (columns ``name``
and ``original_name``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

__all__ = ["safe_names", "is_valid_spss_name", "is_valid_stata_name", "MAX_NAME", "SAFE_LENGTH", "SPSS_RESERVED",
           "STATA_RESERVED"]

#: Longest name Stata accepts (SPSS allows 64 bytes; every safe name is ASCII).
MAX_NAME = 32
#: Longest name :func:`safe_names` makes: room for the 4-digit number the Stata writer adds to a label set's name.
SAFE_LENGTH = 28
#: SPSS reserved words (IBM SPSS Statistics Command Syntax Reference, "Variable names"), upper case.
SPSS_RESERVED = frozenset({"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"})
#: Stata reserved names (Stata User's Guide, [U] 11.3 "Naming conventions"); ``str1``...``str2045`` besides.
STATA_RESERVED = frozenset({"_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long",
                            "_n", "_N", "_pi", "_pred", "_rc", "_skip", "strL", "using", "with"})
_STR_N = re.compile(r"str\d+")
_SPSS_NAME = re.compile(r"[A-Za-z@#$][A-Za-z0-9_.@#$]*")
_STATA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _reserved(name: str) -> bool:
    return name.upper() in SPSS_RESERVED or name in STATA_RESERVED or bool(_STR_N.fullmatch(name))


def is_valid_spss_name(name: str) -> bool:
    """Whether ``name`` is a valid SPSS variable name (at most 64 bytes, letter first, no reserved word).

    Examples
    --------
    >>> is_valid_spss_name("needs__housing"), is_valid_spss_name("needs/housing"), is_valid_spss_name("by")
    (True, False, False)
    """
    return (len(name.encode("utf-8")) <= 64 and bool(_SPSS_NAME.fullmatch(name)) and not name.endswith(".")
            and name.upper() not in SPSS_RESERVED)


def is_valid_stata_name(name: str) -> bool:
    """Whether ``name`` is a valid Stata variable name (at most 32 characters, no reserved word).

    Examples
    --------
    >>> is_valid_stata_name("needs__housing"), is_valid_stata_name("in"), is_valid_stata_name("str12")
    (True, False, False)
    """
    return (len(name) <= MAX_NAME and bool(_STATA_NAME.fullmatch(name)) and name not in STATA_RESERVED
            and not _STR_N.fullmatch(name))


def _base(name: str) -> str:
    text = re.sub(r"[^A-Za-z0-9_]", "_", str(name).replace("/", "__"))
    text = re.sub(r"^[^A-Za-z]+", "", text).rstrip("_") or "v"
    if _reserved(text):
        text += "_v"
    if len(text) > SAFE_LENGTH:
        text = text[:SAFE_LENGTH - 6].rstrip("_") + "_" + hashlib.sha256(str(name).encode("utf-8")).hexdigest()[:5]
    return text


def safe_names(names: Iterable[object]) -> dict[str, str]:
    """Map each name to a name valid in both SPSS and Stata (see the module's rules).

    Parameters
    ----------
    names : iterable
        Column names, in the data's order (earlier names keep the plain form when two collide).

    Returns
    -------
    dict
        ``{original: safe}``, in the given order; the safe names are distinct
        even ignoring case.

    Examples
    --------
    >>> safe_names(["needs/housing", "_uuid", "by", "Needs__housing"])
    {'needs/housing': 'needs__housing', '_uuid': 'uuid', 'by': 'by_v', 'Needs__housing': 'Needs__housing_2'}
    """
    out: dict[str, str] = {}
    taken: set[str] = set()
    for original in names:
        name = _base(str(original))
        candidate, i = name, 1
        while candidate.lower() in taken:
            i += 1
            suffix = f"_{i}"
            candidate = name[:SAFE_LENGTH - len(suffix)].rstrip("_") + suffix
        taken.add(candidate.lower())
        out[str(original)] = candidate
    return out
