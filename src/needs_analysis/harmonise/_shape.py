"""Which platform and export layout a file is, from the evidence harmonisation collects."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ._meta import KOBO_HINTS, LIMESURVEY_HINTS
from ._model import Shape

__all__ = ["Evidence", "recognise"]


@dataclass
class Evidence:
    """What the headers and values showed.

    Attributes
    ----------
    file : str
        ``xlsx``, ``csv``, ``sav``, ``dta``, ``DataFrame``...
    delimiter : str or None
        Field separator of a text file.
    headers : Counter
        Question, choice and note headers by style (``names``, ``labels:<lang>``, ``limesurvey``...).
    choice_seps : Counter
        Separators seen between a question and a choice in 0/1 column headers.
    group_seps : Counter
        Separators seen after group names or labels.
    values : Counter
        Answer rows by style (``names``, a language, ``position``, ``mapping``...).
    layouts : Counter
        select_multiple questions by layout.
    platform_columns : set of str
        Platform columns present (lower case).
    mapping : str
        The mapping file's name (``""`` for none).
    extras : list of str
        Further notes for the description.
    """

    file: str
    delimiter: str | None = None
    headers: Counter = field(default_factory=Counter)
    choice_seps: Counter = field(default_factory=Counter)
    group_seps: Counter = field(default_factory=Counter)
    values: Counter = field(default_factory=Counter)
    layouts: Counter = field(default_factory=Counter)
    platform_columns: set[str] = field(default_factory=set)
    mapping: str = ""
    extras: list[str] = field(default_factory=list)


def _platform(ev: Evidence) -> str:
    if ev.platform_columns & LIMESURVEY_HINTS or any(s.startswith("limesurvey") for s in ev.headers) \
            or ev.mapping.lower().endswith(".lss"):
        return "LimeSurvey"
    if ev.file == "sav":
        return "SPSS"
    if ev.file == "dta":
        return "Stata"
    if ev.platform_columns & KOBO_HINTS:
        return "KoboToolbox"
    return "table"


def _langs(counts: Iterable[tuple[str, int]]) -> str:
    return ", ".join(lang for lang, _ in sorted(counts, key=lambda kv: (-kv[1], kv[0])))


def _header_text(style: str, platform: str) -> str:
    if style == "names":
        return {"KoboToolbox": "XML names", "LimeSurvey": "question codes"}.get(platform, "question names")
    if style == "limesurvey":
        return "question codes"
    if style == "mapping":
        return "export codes (mapping file)"
    lang = style.split(":", 1)[1]
    return f"full question text ({lang})" if platform == "LimeSurvey" else f"labels ({lang})"


def _values_text(values: Counter, platform: str) -> str:
    if not values:
        return "no select_one answers"
    texts: Counter = Counter()
    langs: Counter = Counter()
    for style, n in values.items():
        if style in ("names", "limesurvey"):
            texts[{"KoboToolbox": "XML values", "LimeSurvey": "answer codes"}.get(platform, "codes")] += n
        elif style == "position":
            texts["position codes"] += n
        elif style == "mapping":
            texts["answer codes (mapping file)"] += n
        elif style in ("country", "user-missing"):
            continue
        else:
            langs[style] += n
    total = sum(texts.values()) + sum(langs.values())
    if langs:
        shown = [(lang, n) for lang, n in langs.items() if n >= 0.05 * sum(langs.values())]
        label = {"SPSS": "value labels", "Stata": "value labels", "LimeSurvey": "full answers"}.get(platform, "labels")
        texts[f"{label} ({_langs(shown)})"] = sum(langs.values())
    parts = [t for t, n in sorted(texts.items(), key=lambda kv: -kv[1]) if n >= 0.05 * total]
    return " and ".join(parts)


def recognise(ev: Evidence) -> Shape:
    """The :class:`~._model.Shape` the evidence shows.

    Parameters
    ----------
    ev : Evidence

    Returns
    -------
    Shape
    """
    platform = _platform(ev)
    file = ev.file if not ev.delimiter else f"{ev.file} ({ev.delimiter if ev.delimiter != chr(9) else 'tab'})"
    described: Counter = Counter()
    for style, n in ev.headers.items():
        described[_header_text(style, platform)] += n
    headers = described.most_common(1)[0][0] if described else "no question columns"
    groups = f"group names with {ev.group_seps.most_common(1)[0][0]!r}" if ev.group_seps else "no group names"
    if not ev.layouts:
        multiple = "none"
    else:
        multiple = ev.layouts.most_common(1)[0][0]
        sep = ev.choice_seps.most_common(1)[0][0] if ev.choice_seps else ""
        if sep == "[":
            multiple = "sub-question columns q[sub]" if multiple == "0/1 columns" else \
                multiple.replace("0/1 columns", "sub-question columns q[sub]")
        elif sep == "_":
            multiple = "q_choice 0/1 columns" if multiple == "0/1 columns" else f"{multiple} (q_choice 0/1 columns)"
    extras = ([ev.mapping and f"mapping {ev.mapping}"] if ev.mapping else []) + ev.extras
    return Shape(platform, file, headers, _values_text(ev.values, platform), groups, multiple,
                 tuple(e for e in extras if e))
