"""The CSV/TSV readers: encoding detection and cells (registered in :data:`needs_analysis.readers.READERS`).

Encodings: UTF-16 (with a byte-order mark), UTF-8 (with or without), and
the single-byte code pages survey files in Lithuania come in: Windows-1257
(Baltic), Windows-1250 (Central European), Windows-1251, KOI8-R, KOI8-U,
CP866 (DOS), ISO-8859-5 and Mac Cyrillic. Single-byte text decodes
without error in nearly any of them, so :func:`detect_encoding` judges each
decoding by the words it produces (see its Notes), asks charset-normalizer
for a second opinion when two decodings are close, and refuses with a
one-line message when it still cannot tell: a wrong decoding is never
returned silently.
"""

from __future__ import annotations

import csv
import io as _io
import re
from collections import Counter
from itertools import islice, zip_longest
from pathlib import Path

import numpy as np

from ..errors import NeedsAnalysisError
from ._filetype import sniff_type
from ._table import GridBuilder, ReadResult, frame_from_grid

__all__ = ["read_csv", "read_tsv", "detect_encoding", "read_text", "SINGLE_BYTE_ENCODINGS"]

#: Single-byte encodings tried when the text is not UTF-8, in the order of preference among
#: encodings that give the same text for a file.
SINGLE_BYTE_ENCODINGS: tuple[str, ...] = ("cp1257", "cp1250", "cp1251", "koi8-r", "koi8-u", "cp866", "iso-8859-5",
                                          "mac-cyrillic")
_SUPPORTED = "UTF-8, UTF-16, Windows-1257/1250/1251, KOI8-R/U, CP866, ISO-8859-5 or Mac Cyrillic"
_SAVE_UTF8 = "open it in a spreadsheet program and save it as CSV UTF-8"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_WORD = re.compile(rb"[A-Za-z\x80-\xff]*[\x80-\xff][A-Za-z\x80-\xff]*")
_SAMPLE = 1 << 20  # bytes of words judged from each of the start, middle and end of a file
_ROWS = 2_000      # CSV rows turned into columns at a time

# Letters expected in the survey's languages and the names its respondents write: Lithuanian,
# Latvian, Estonian, Polish, German, Turkish and the commonest Western accents; Russian,
# Ukrainian and Belarusian Cyrillic.
_LATIN = set("ąčęėįšųūž" "āēģīķļņ" "õäöü" "ćłńóśźż" "ß" "ş" "áéíúàèñç")
_LATIN |= {c.upper() for c in _LATIN if c != "ß"}
_LITHUANIAN = set("ąčęėįšųūžĄČĘĖĮŠŲŪŽ")
_CYRILLIC = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя" "єіїґў")
_CYRILLIC |= {c.upper() for c in _CYRILLIC}
_VOWELS = set("аеёиоуыэюяєії" "АЕЁИОУЫЭЮЯЄІЇ")
_PUNCT = set("\xa0«»„“”‘’‚–—…€№°·•")
_BAD, _ODD = 3, 1       # penalties of a word that no language writes, of an unusual word
_PLAUSIBLE = 0.3   # a decoding with more bad words than this share is not text in any expected language
_MARGIN = 0.15     # ... a decoding must be this much lower in mean penalty per word than every other,
_EVIDENCE = 3      # ... and this much lower in total penalty (a bad word, three odd ones), to be chosen on its own
_MIN_WORDS = 20    # words above 0x7F charset-normalizer's language model needs to choose between close decodings


def _penalty(word: str) -> int:
    """How unlikely a decoded word is in the survey's languages (0 to ``_BAD``).

    Bad (``_BAD``): a character that is neither a letter nor common
    punctuation, punctuation other than an apostrophe between two letters,
    Latin and Cyrillic letters in one word, a capital after a small letter
    ("цЕНА" is KOI8 read as Windows-1251; text typed with Caps Lock
    inverted is judged so too), a Serbian or Macedonian letter (ђ, љ,
    џ...: what Russian and Ukrainian text turns into when read as
    ISO-8859-5 or Mac Cyrillic), a Latin word of three or more letters
    without an ASCII letter that is not all Lithuanian ("Ęåķłčķą" is
    Cyrillic read as Windows-1257). Otherwise a Latin letter outside the
    expected alphabets and a Cyrillic word without a vowel ("ВНЖ") add
    ``_ODD`` each, up to ``_BAD``.
    """
    latin = cyrillic = foreign = prev_lower = False
    letters = accented = odd = 0
    after = ""  # the kind of the previous character: "letter", "punct" (after a letter) or ""
    for ch in word:
        if ch.isalpha():
            if after == "punct":
                return _BAD
            after = "letter"
            letters += 1
            if ch.isupper() and prev_lower:
                return _BAD
            prev_lower = ch.islower()
            if ch < "\x80":
                latin = True
                continue
            accented += 1
            if "\u0400" <= ch <= "\u04ff":
                if ch not in _CYRILLIC:
                    return _BAD
                cyrillic = True
            else:
                latin = True
                odd += ch not in _LATIN
                foreign = foreign or ch not in _LITHUANIAN
        elif ch >= "\x80" and ch not in _PUNCT:
            return _BAD
        else:
            prev_lower = False
            after = "punct" if after == "letter" and ch in _PUNCT and ch not in "’‘" else ""
    if latin and cyrillic:
        return _BAD
    if cyrillic and letters >= 2 and not _VOWELS.intersection(word):
        odd += 1
    if latin and letters >= 3 and accented == letters and foreign:
        return _BAD
    return min(_BAD, odd * _ODD)


def _sample_words(data: bytes) -> Counter:
    """Words with a byte above 0x7F, with their counts, from the start, middle and end of the data."""
    if len(data) <= 3 * _SAMPLE:
        return Counter(_WORD.findall(data))
    mid = len(data) // 2
    words = Counter(_WORD.findall(data, 0, _SAMPLE))
    words.update(_WORD.findall(data, mid, mid + _SAMPLE))
    words.update(_WORD.findall(data, len(data) - _SAMPLE))
    return words


def _second_opinion(data: bytes, encodings: list[str]) -> str | None:
    """charset-normalizer's choice among ``encodings`` (None when it has none)."""
    from charset_normalizer import from_bytes

    names = {e.replace("-", "_").replace("iso_", "iso"): e for e in encodings}
    best = from_bytes(data[:4 * _SAMPLE], cp_isolation=list(names)).best()
    if best is None:
        return None
    return names.get(best.encoding) or next((e for e in encodings if _same_codec(e, best.encoding)), None)


def _same_codec(a: str, b: str) -> bool:
    import codecs

    return codecs.lookup(a).name == codecs.lookup(b).name


def _single_byte(data: bytes, where: str) -> str:
    """The single-byte encoding of ``data`` (see :func:`detect_encoding`)."""
    present = _high_bytes(data)
    # candidates that decode every byte of the file, grouped by the text they give
    groups: dict[str, list[str]] = {}
    for enc in SINGLE_BYTE_ENCODINGS:
        try:
            groups.setdefault(present.decode(enc), []).append(enc)
        except UnicodeDecodeError:
            continue
    if not groups:
        raise NeedsAnalysisError("the text cannot be decoded in any supported encoding", where=where,
                                 expected=_SUPPORTED, fix=_SAVE_UTF8)
    words = _sample_words(data)
    total = sum(words.values()) or 1
    counts = list(words.values())
    scored = []
    for k, encs in enumerate(groups.values()):
        penalties = [_penalty(w.decode(encs[0])) for w in words]
        points = sum(n * p for n, p in zip(counts, penalties))
        bad = sum(n for n, p in zip(counts, penalties) if p == _BAD) / total
        scored.append((points / total, k, encs[0], points, bad))
    scored.sort()
    rate, _, enc, points, bad = scored[0]
    if bad > _PLAUSIBLE:
        raise NeedsAnalysisError("the text cannot be decoded in any supported encoding (no decoding gives words "
                                 "of the survey's languages)", where=where, expected=_SUPPORTED, fix=_SAVE_UTF8)

    close = [enc] + [o[2] for o in scored[1:] if o[0] - rate < _MARGIN or o[3] - points < _EVIDENCE]
    if len(close) == 1:
        return enc
    if total >= _MIN_WORDS:
        opinion = _second_opinion(data, close)
        if opinion is not None:
            return opinion
    raise _cannot_tell(words, close, where)


def _cannot_tell(words: Counter, encodings: list[str], where: str) -> NeedsAnalysisError:
    """The error for a text that reads as plausible words in several encodings, showing a word's readings."""
    def read(w: bytes, e: str) -> str:
        return w.decode("utf-8", errors="replace") if e == "utf-8" else w.decode(e)

    word = next((w for w, _ in words.most_common() if len({read(w, e) for e in encodings}) > 1), None)
    if word is not None:  # readings with control characters are no candidates a reader would consider
        encodings = [e for e in encodings if not _CONTROL.search(read(word, e))] or encodings
    readings = ", ".join(f"{e} ({read(word, e)!r})" if word else e for e in encodings[:4])
    return NeedsAnalysisError(f"the text cannot be decoded with certainty: it reads as {readings}", where=where,
                              expected=_SUPPORTED + " text whose encoding can be told", fix=_SAVE_UTF8)


def _utf8_doubtful(text: str) -> bool:
    """Whether valid UTF-8 may be single-byte text after all.

    Single-byte text is valid UTF-8 only by accident, and then decodes to a
    few characters from blocks survey text rarely uses (IPA, Greek, Armenian
    to N'Ko, supplementary ideographs, unassigned): such text with fewer
    than six distinct non-ASCII characters is doubtful.
    """
    import unicodedata

    if text.isascii():
        return False
    found: set[str] = set()
    for m in _NON_ASCII.finditer(text):  # stops as soon as six distinct characters are seen
        found.update(m.group())
        if len(found) >= 6:
            return False
    return any(0x250 <= ord(ch) < 0x400 or 0x500 <= ord(ch) < 0x900 or ord(ch) >= 0x20000
               or unicodedata.category(ch) in ("Cn", "Co", "Cs", "Mn") for ch in found)


def _decodes(words: Counter, enc: str) -> bool:
    try:
        for w in words:
            w.decode(enc)
    except UnicodeDecodeError:
        return False
    return True


def _high_bytes(data: bytes) -> bytes:
    """The byte values above 0x7F that occur in ``data``, in order (counted by blocks: no 800 MB of int64)."""
    counts = np.zeros(256, dtype=np.int64)
    raw = np.frombuffer(data, dtype=np.uint8)
    for i in range(0, len(raw), 1 << 23):
        counts += np.bincount(raw[i:i + (1 << 23)], minlength=256)
    return bytes(int(b) for b in np.flatnonzero(counts[128:]) + 128)


def _controls_in(data: bytes, enc: str) -> bool:
    """Whether single-byte ``data`` read as ``enc`` holds a control character (checked on the bytes)."""
    c1 = bytes(b for b in range(128, 256) if _CONTROL.match(bytes([b]).decode(enc, errors="replace")))
    pattern = rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f" + b"".join(b"\\x%02x" % b for b in c1) + rb"]"
    return re.search(pattern, data) is not None


def _check_controls(text: str, enc: str, where: str) -> None:
    m = _CONTROL.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        raise NeedsAnalysisError(f"the text holds control character {m.group()!r} on line {line} when read as "
                                 f"{enc} (binary data or an unsupported encoding)", where=where,
                                 expected=_SUPPORTED + " text", fix=_SAVE_UTF8)


def _encoding(data: bytes, where: str) -> str:
    """The encoding of ``data``, checked for control characters (see :func:`detect_encoding`)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            _check_controls(data.decode("utf-16"), "utf-16", where)
            return "utf-16"
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("utf-8-sig")
        enc = "utf-8-sig"
        if _utf8_doubtful(text):
            words = _sample_words(data)
            clean = [e for e in SINGLE_BYTE_ENCODINGS
                     if _decodes(words, e) and not any(_penalty(w.decode(e)) for w in words)]
            if clean:
                raise _cannot_tell(words, ["utf-8", *clean], where)
        _check_controls(text, enc, where)
    except UnicodeDecodeError:
        enc = _single_byte(data, where)
        if _controls_in(data, enc):  # decoded whole only to say where
            _check_controls(data.decode(enc), enc, where)
    return enc


def detect_encoding(data: bytes, where: str = "file") -> tuple[str, str]:
    """Decode text bytes, detecting the encoding.

    Parameters
    ----------
    data : bytes
        File content.
    where : str
        File name for the error message.

    Returns
    -------
    text : str
    encoding : str
        ``utf-16`` (BOM), ``utf-8-sig`` (BOM or plain UTF-8), or one of
        :data:`SINGLE_BYTE_ENCODINGS`.

    Raises
    ------
    NeedsAnalysisError
        When no supported encoding gives text in the survey's languages,
        when two give different plausible text and charset-normalizer has
        no preference among them ("cannot tell"), or when the text holds
        control characters (binary data).

    Notes
    -----
    UTF-8 is tried first: text in a single-byte encoding with any letter
    beyond ASCII is almost never valid UTF-8; when it is (a few characters
    from blocks survey text rarely uses, e.g. Ukrainian "Ні" in
    Windows-1251) and a single-byte reading gives plain words, the file is
    refused. Otherwise every single-byte candidate that decodes all of the
    file's bytes is judged on the words holding a byte above 0x7F (from up
    to three 1 MB samples) by a per-word penalty (see ``_penalty``: a
    symbol inside a word, Latin and Cyrillic mixed, a capital after a small
    letter, letters outside the alphabets of Lithuanian, Latvian, Estonian,
    Polish, German, Turkish, Russian, Ukrainian and Belarusian...).
    Encodings that give the same text for the file are one candidate
    (reported by the first in :data:`SINGLE_BYTE_ENCODINGS`: KOI8-R and
    KOI8-U differ only in the Ukrainian letters). A candidate with more
    than 30 % bad words is not text; the best one wins on its own when
    every other is behind it by 0.15 in mean penalty per word and by 3 in
    total (one bad word or three odd ones); otherwise, with at least 20
    words to judge, charset-normalizer's language model chooses among the
    close candidates, and without its choice (or with fewer words) the
    file is refused naming the readings. Text typed with Caps Lock
    inverted, and Serbian Cyrillic, look like misreadings to this model.
    """
    enc = _encoding(data, where)
    return data.decode(enc), enc


def _lines(stream: _io.TextIOBase, first: str):
    """Lines of the text (first line without leading byte-order marks), split as csv expects."""
    yield first.lstrip("\ufeff")
    yield from stream


def read_text(data: bytes, where: str, sep: str) -> tuple[np.ndarray, str, str]:
    """CSV/TSV bytes -> grid of cells (row 0 the header, None where blank), encoding, separator.

    The separator given (``,`` for .csv, tab for .tsv) gives way to ``;`` or a
    tab when the first line holds more of them. Blank lines are skipped;
    fields of only white space are blank. Equal texts in a column share one
    string object, so a large file costs little more memory than its cells'
    distinct values.
    """
    enc = _encoding(data, where)
    first = data[:_SAMPLE].decode(enc, errors="ignore").lstrip("\ufeff").split("\n", 1)[0]
    if sep == "," and first.count(";") > first.count(",") and first.count(";") >= 1:
        sep = ";"
    if sep == "," and first.count("\t") > first.count(",") and first.count("\t") >= 1:
        sep = "\t"
    grid = GridBuilder(data.count(b"\n") + 1)  # every line end holds a 0x0A byte, in UTF-16 too
    stream = _io.TextIOWrapper(_io.BytesIO(data), encoding=enc, newline="")
    canon: list[dict] = []  # per column: text -> the one string object kept for it (None when blank)
    n = 0
    try:
        rows = csv.reader(_lines(stream, stream.readline()), delimiter=sep, strict=True)
        while block := list(islice(rows, _ROWS)):
            chunk = [r for r in block if r]  # csv gives [] for a blank line
            if chunk:
                grid.reserve(n + len(chunk), max(map(len, chunk)))
            for j, col in enumerate(zip_longest(*chunk)):
                if j == len(canon):
                    canon.append({None: None})
                known = canon[j]
                for v in set(col).difference(known):
                    known[v] = v if v.strip() else None
                grid.put_column(n, j, list(map(known.__getitem__, col)))
            n += len(chunk)
    except csv.Error as exc:
        raise NeedsAnalysisError(f"not a valid {'TSV' if sep == chr(9) else 'CSV'} file ({exc})", where=where,
                                 fix="check the delimiter and quoting (re-export from the survey platform)") from None
    return grid.result(), enc, sep  # column 0 holds a cell of every row


def _read_file(path: Path, sep: str) -> ReadResult:
    data = path.read_bytes()
    if not data.strip():
        raise NeedsAnalysisError("the file is empty", where=str(path), expected="a header row and responses")
    sniff_type(data, path, "a text (CSV/TSV) file")
    grid, enc, sep = read_text(data, str(path), sep)
    del data
    return ReadResult(frame_from_grid(grid, str(path), "file"), encoding=enc, delimiter=sep)


def read_csv(path: Path, sheet: str | int | None = None, header_score=None) -> ReadResult:
    """The reader of ``.csv`` exports: comma-separated (or semicolon, tab: see :func:`read_text`)."""
    return _read_file(path, ",")


def read_tsv(path: Path, sheet: str | int | None = None, header_score=None) -> ReadResult:
    """The reader of ``.tsv`` exports: tab-separated."""
    return _read_file(path, "\t")
