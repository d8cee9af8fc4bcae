"""Finding direct identifiers in answers: e-mail addresses, phone numbers, personal names.

:func:`mask_identifiers` replaces each one found in a text by ``[e-mail]``,
``[phone]`` or ``[name]`` and leaves everything else as written, so a
cleaning log stays readable. It is what :func:`needs_analysis.clean.redact`
applies to every cell that enters the cleaning log or the ``validate``
output, and what the loader's unmapped-answer examples go through.

What is detected
----------------
- **E-mail addresses**: ``local@domain`` with the characters RFC 5322
  allows in the local part (letters of any script, digits,
  ``.!#$%&'*+/=?^_`{|}~-``) and a domain of letters, digits and hyphens
  (with or without a dot).
- **Phone numbers**: digit groups joined by spaces, hyphens, dots or
  brackets that hold 8 to 15 digits after a ``+`` (international format:
  ``+370 612 34567``, ``+44 (0)20 7946 0958``), 9 to 15 digits otherwise
  (``8 612 34567``, ``861234567``, ``00370...``, ``370...``, ``8 (5) 212
  3456``, ``+37060000000`` read as the number ``37060000000``), or 8 digits
  starting with 6 (a Lithuanian mobile without its prefix: ``612 34567``).
  No answer of the questionnaire has that many digits: years (1985), counts
  (3) and durations are far shorter, and dates and times
  (``2021-03-15 10:22``, ``15.03.2021``) and submission uuids are
  recognised and left alone.
- **Personal names**: two or more capitalised words in a row, separated by
  spaces only, in Latin or Cyrillic script (``Jonas Jonaitis``, ``Иван
  Петров``, ``J. Jonaitis``, ``JONAS JONAITIS``), unless the run is made of
  known phrases: the questionnaire's question and choice labels in all its
  languages, the municipalities and the
  country names and aliases of ``resources/countries.csv`` and ISO 3166
  (English, Lithuanian, Russian and Ukrainian names from pycountry).
  ``United Kingdom``, ``Южная Корея`` or ``Bosnia And Herzegovina`` stay
  readable.

Precision limits
----------------
The detector errs on the side of masking, and it is a pattern matcher, not a
register of people:

- A single word is never taken for a name (``Jonas`` alone, ``Kobieta``),
  nor is a name written in lower case (``jonas jonaitis``).
- A run of capitalised words that is not a known phrase is masked even when
  it is not a person: a company (``UAB Maxima``), a town outside the
  questionnaire (``Naujoji Akmenė``), an answer written in title case that
  is not a label (``Full Time Student``).
- A name made only of known phrases is not masked (``Georgia Jordan``: two
  country names), and a capitalised word next to a name is masked with it
  (``Call Jonas Jonaitis`` becomes ``[name]``).
- Phone numbers written with words (``eight six one...``), e-mail addresses
  written as ``jonas at gmail dot com``, street addresses and personal codes
  with fewer than 9 digits are not recognised; a list of several years
  joined by spaces (``1985 1990 2000``) is taken for a phone number.
"""

from __future__ import annotations

import math
import numbers
import re
from functools import lru_cache

from .codebook import normalise_text

__all__ = ["EMAIL_RE", "mask_identifiers", "identifier_kinds", "known_phrases", "MASKS"]

#: What replaces each kind of identifier.
MASKS: dict[str, str] = {"email": "[e-mail]", "phone": "[phone]", "name": "[name]"}

#: E-mail addresses (RFC 5322 "atext" local part, any-script domain labels).
#: (At most 64 characters before the @ and 63 per domain label, as RFC 5321 allows, which also keeps the search
#: linear on long texts.)
_EMAIL_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
EMAIL_RE = re.compile(rf"[\w!#$%&*+/=?^`{{|}}~-][\w.!#$%&'*+/=?^`{{|}}~-]{{0,63}}@{_EMAIL_LABEL}(?:\.{_EMAIL_LABEL})*")

# Things made of digits that are not phone numbers, tried first at each position so their digits are skipped.
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_DATETIME = r"\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_DATE = r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}[./]\d{1,2}[./]\d{1,2}"
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?"
# A phone candidate: an optional + or (, then digits with up to three separators between them.
_PHONE_CANDIDATE = r"(?:\+|\(\+?)?\d(?:[ \-.()]{0,3}\d){7,}"
_DIGITS_RE = re.compile(
    rf"(?<!\w)(?<!\d[.,])(?:(?P<keep>{_UUID}|{_DATETIME}|{_DATE}|{_TIME})|(?P<phone>{_PHONE_CANDIDATE}))(?![\w@])")

# A word (letters of any script, inner apostrophes and hyphens) or an initial ("J.").
_WORD_RE = re.compile(r"[^\W\d_]\.(?=\s)|[^\W\d_]+(?:['\u2019\u02bc-][^\W\d_]+)*")
_FOLD = str.maketrans({ch: " " for ch in "'.,()-\u02bb\u2019\u02bc"})


def _fold(text: object) -> str:
    """Matching key of a phrase: :func:`normalise_text`, punctuation as spaces."""
    return " ".join(normalise_text(text).translate(_FOLD).split())


def _is_phone(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if candidate.lstrip("(").startswith("+"):
        return 8 <= len(digits) <= 15
    return 9 <= len(digits) <= 15 or (len(digits) == 8 and digits[0] == "6")


def _is_capitalised(word: str) -> bool:
    letters = [ch for ch in word if ch.isalpha()]
    if not letters or not letters[0].isupper():
        return False
    if len(letters) == 1:
        return word.endswith(".")  # an initial
    rest = letters[1:]
    return any(ch.islower() for ch in rest) or (len(letters) >= 3 and all(ch.isupper() for ch in rest))


def _runs(text: str, min_words: int = 2) -> list[tuple[int, int, list[str]]]:
    """Maximal runs of capitalised words separated by whitespace only: ``(start, end, words)``."""
    out: list[tuple[int, int, list[str]]] = []
    start = end = -1
    words: list[str] = []
    for m in _WORD_RE.finditer(text):
        w = m.group(0)
        if _is_capitalised(w) and words and not text[end:m.start()].strip():
            words.append(w)
            end = m.end()
            continue
        if len(words) >= min_words:
            out.append((start, end, words))
        words, start, end = ([w], m.start(), m.end()) if _is_capitalised(w) else ([], -1, -1)
    if len(words) >= min_words:
        out.append((start, end, words))
    return out


def _phrases_of_source() -> list[str]:
    """Every known phrase: questionnaire labels, municipalities, country names."""
    from .codebook import load_codebook
    from .config import LANGS
    from .countries import country_names
    from .municipalities import MUNICIPALITIES

    cb = load_codebook()
    phrases: list[str] = []
    label_cols = [f"label_{lang}" for lang in LANGS]
    variables = cb.variables
    for col in label_cols:
        if col in variables.columns:
            phrases += [str(v) for v in variables[col] if isinstance(v, str)]
    for list_name in cb.list_names:
        choices = cb.choice_list(list_name)
        for col in label_cols:
            if col in choices.columns:
                phrases += [str(v) for v in choices[col] if isinstance(v, str)]
    for m in MUNICIPALITIES:
        phrases += [m.name_lt, m.name_en, m.short_lt, m.short_en]
    phrases += country_names()
    return phrases


@lru_cache(maxsize=1)
def known_phrases() -> frozenset[str]:
    """Folded phrases that are not names (the allow-list of the name detector).

    Returns
    -------
    frozenset of str
        Each known phrase (see the module notes) folded (case, accents
        composed, punctuation as spaces), and each maximal run of
        capitalised words inside one (``Moldova`` and ``Republic`` from
        ``Moldova, Republic of``), so that a known name within a longer label
        also counts; a word inside a longer run is not a phrase by itself
        (``Naujoji`` of ``Naujoji Zelandija``).
        Built once per process, on first use.
    """
    out: set[str] = set()
    for phrase in _phrases_of_source():
        folded = _fold(phrase)
        if folded:
            out.add(folded)
        out.update(_fold(" ".join(words)) for _s, _e, words in _runs(phrase, min_words=1))
    return frozenset(out)


def _known(words: list[str], allowed: frozenset[str]) -> bool:
    """Whether ``words`` split into consecutive known phrases (dynamic programming over split points)."""
    keys = [_fold(w) for w in words]
    longest = _longest_phrase()
    n = len(keys)
    ok = [True] + [False] * n
    for j in range(1, n + 1):
        ok[j] = any(ok[i] and " ".join(keys[i:j]) in allowed for i in range(max(0, j - longest), j))
    return ok[n]


@lru_cache(maxsize=1)
def _longest_phrase() -> int:
    """Words in the longest known phrase (no split of a run needs a longer piece)."""
    return max((len(p.split()) for p in known_phrases()), default=1)


def _mask_digits(text: str) -> str:
    def sub(m: re.Match) -> str:
        if m.group("keep") is not None or not _is_phone(m.group("phone")):
            return m.group(0)
        return MASKS["phone"]

    return _DIGITS_RE.sub(sub, text)


def _mask_names(text: str, allowed: frozenset[str]) -> str:
    runs = _runs(text)
    if not runs or _fold(text) in allowed:
        return text
    out, pos = [], 0
    for start, end, words in runs:
        if not _known(words, allowed):
            out += [text[pos:start], MASKS["name"]]
            pos = end
    return "".join(out) + text[pos:] if out else text


@lru_cache(maxsize=65536)
def mask_identifiers(text: str) -> str:
    """``text`` with every e-mail address, phone number and personal name masked.

    Parameters
    ----------
    text : str
        Any text (an answer, a log cell).

    Returns
    -------
    str
        The text with ``[e-mail]``, ``[phone]`` and ``[name]`` in place of
        what the module notes describe; the rest unchanged.

    Examples
    --------
    >>> mask_identifiers("Jonas Jonaitis, +370 612 34567, jonas@example.lt")
    '[name], [phone], [e-mail]'
    >>> mask_identifiers("United Kingdom"), mask_identifiers("1985"), mask_identifiers("2021-03-15 10:22")
    ('United Kingdom', '1985', '2021-03-15 10:22')
    """
    if not text:
        return text
    masked = EMAIL_RE.sub(MASKS["email"], text) if "@" in text else text
    if sum(map(str.isdigit, masked)) >= 8:  # a phone number has at least 8 digits
        masked = _mask_digits(masked)
    if masked.lower() != masked:  # a name has capital letters
        masked = _mask_names(masked, known_phrases())
    return masked


def identifier_kinds(text: object) -> frozenset[str]:
    """Which kinds of identifier (``email``, ``phone``, ``name``) a value holds.

    Parameters
    ----------
    text : object
        Any cell value; whole numbers are looked at as their digits (a phone
        number read as ``37060000000.0`` is found), other non-strings hold
        none.

    Returns
    -------
    frozenset of str
    """
    if isinstance(text, numbers.Real) and not isinstance(text, (str, bool)):
        if not (math.isfinite(text) and float(text).is_integer()):
            return frozenset()
        text = str(int(text))
    if not isinstance(text, str) or not text:
        return frozenset()
    masked = mask_identifiers(text)
    return frozenset(kind for kind, mask in MASKS.items() if mask in masked and mask not in text)
