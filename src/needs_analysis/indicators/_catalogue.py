"""The indicator catalogue: a declarative table, one row per indicator.

The catalogue is data (``resources/indicators.csv``); adding an indicator is
adding a row. Columns:

``id``
    Identifier (ASCII, unique).
``area``
    Needs area: language, employment, housing, health, children, services,
    information, discrimination, belonging, composite.
``headline``
    ``true`` for the one indicator per area that measures an unmet need;
    the needs overview figure and the composite count use these.
``kind``
    ``proportion`` (share of the base for whom ``numerator`` holds) or
    ``mean`` (mean of the expression ``numerator``).
``universe``
    Who was asked, as a pandas expression over codes (empty = everyone).
``numerator``
    The expression whose truth (or value, for means) is estimated.
``base``
    Space-separated variables that must be answered to be in the base;
    empty means every variable named in ``numerator``.
``sensitive``
    ``true`` for discrimination and health items (stricter suppression).
``framework``
    The integration-indicator framework the indicator follows, if any.
``label_lt``, ``label_en``
    Labels in Lithuanian and English.

Optional presentation columns (empty when absent):

``framework_lt``
    ``framework`` in Lithuanian (the report's notes).
``figure``
    Key of the report-pack figure that draws the indicator (e.g. ``04_language``).
``panel``
    Panel of that figure (its title is the UI string ``panel.<panel>``).
``partition``
    Space-separated names of the partitions the indicator belongs to: a
    partition is a set of indicators on the same base whose shares sum to 1
    (e.g. the categories of one variable, or "low level" with the two higher
    levels). Used by secondary suppression.
``short_lt``, ``short_en``
    Short bar labels inside a panel (default: the label).
``definition_lt``, ``definition_en``
    What the indicator measures in plain words, naming who is in its base
    (the report's definitions; without one the notes quote the numerator).
``among_lt``, ``among_en``
    The base in a few words, for a bar among bars of other bases ("tarp
    turinčių vaikų iki 18 m."); empty when the base is every respondent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from ..errors import NeedsAnalysisError, require_columns

__all__ = ["Indicator", "load_catalogue", "referenced_names", "AREAS", "DOMAINS"]

#: Needs areas in report order.
AREAS: tuple[str, ...] = (
    "language",
    "employment",
    "housing",
    "health",
    "children",
    "services",
    "information",
    "discrimination",
    "belonging",
    "profile",
    "composite",
)
#: Subgroup (domain) variables every indicator is broken down by.
DOMAINS: tuple[str, ...] = ("sex", "agegrp", "citgrp", "years_lt", "permit_grounds")

_REQUIRED = ("id", "area", "headline", "kind", "universe", "numerator", "base", "sensitive",
             "framework", "label_lt", "label_en")
_OPTIONAL = ("framework_lt", "figure", "panel", "partition", "short_lt", "short_en", "definition_lt", "definition_en",
             "among_lt", "among_en")
_KEYWORDS = {"and", "or", "not", "in", "True", "False", "None"}
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_BACKTICK = re.compile(r"`([^`]+)`")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Indicator:
    """One catalogue entry (see the module docstring for the fields)."""

    id: str
    area: str
    headline: bool
    kind: str
    universe: str
    numerator: str
    base: tuple[str, ...]
    sensitive: bool
    framework: str
    label_lt: str
    label_en: str
    framework_lt: str = ""
    figure: str = ""
    panel: str = ""
    partition: str = ""
    short_lt: str = ""
    short_en: str = ""
    definition_lt: str = ""
    definition_en: str = ""
    among_lt: str = ""
    among_en: str = ""

    def label(self, lang: str = "lt") -> str:
        """Label in ``lang``."""
        return self.label_lt if lang == "lt" else self.label_en

    def short(self, lang: str = "lt") -> str:
        """Short (bar) label in ``lang``; the label where none is given."""
        s = self.short_lt if lang == "lt" else self.short_en
        return s or self.label(lang)

    def framework_text(self, lang: str = "lt") -> str:
        """The framework in ``lang`` (``framework`` is English; ``framework_lt`` its Lithuanian)."""
        return (self.framework_lt or self.framework) if lang == "lt" else self.framework

    def among(self, lang: str = "lt") -> str:
        """Who the base is, in a few words ("tarp turinčių vaikų iki 18 m."); empty for all respondents."""
        return self.among_lt if lang == "lt" else self.among_en

    def definition(self, lang: str = "lt") -> str:
        """Plain-words definition in ``lang`` (empty when the catalogue gives none)."""
        return self.definition_lt if lang == "lt" else self.definition_en

    def base_variables(self) -> tuple[str, ...]:
        """Variables that must be answered for a respondent to be in the base."""
        return self.base if self.base else referenced_names(self.numerator)


def referenced_names(expr: str) -> tuple[str, ...]:
    """Column names used in a catalogue expression, in order of appearance.

    Parameters
    ----------
    expr : str
        A pandas expression such as ``"lt_level in ['none'] and `x/y` == 1"``.

    Returns
    -------
    tuple of str
    """
    if not expr:
        return ()
    names: list[str] = []
    body = _BACKTICK.sub(lambda m: names.append(m.group(1)) or " ", expr)
    body = _QUOTED.sub(" ", body)
    for tok in _IDENT.findall(body):
        if tok not in _KEYWORDS and not tok.isdigit():
            names.append(tok)
    return tuple(dict.fromkeys(names))


def _as_bool(value, where: str) -> bool:
    s = str(value).strip().lower()
    if s in {"true", "1", "yes"}:
        return True
    if s in {"false", "0", "no", "", "nan"}:
        return False
    raise NeedsAnalysisError(f"value {value!r} is not true/false", where=where, expected="true or false")


def load_catalogue(path: str | Path | None = None) -> tuple[Indicator, ...]:
    """Read and validate the indicator catalogue.

    Parameters
    ----------
    path : str or Path, optional
        A catalogue CSV in the same format; default: the packaged catalogue.

    Returns
    -------
    tuple of Indicator
        In catalogue order.

    Raises
    ------
    NeedsAnalysisError
        Missing file or columns, duplicate ids, unknown area or kind.

    Notes
    -----
    The packaged catalogue is read once per process (the result is an
    immutable tuple of frozen records); a file given by ``path`` is read on
    every call.
    """
    if path is None:
        return _packaged_catalogue()
    path = Path(path)
    if not path.is_file():
        raise NeedsAnalysisError("file not found", where=str(path), expected="an indicator catalogue CSV",
                                 fix="check the path")
    return _parse_catalogue(pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig"), str(path))


@lru_cache(maxsize=1)
def _packaged_catalogue() -> tuple[Indicator, ...]:
    src = resources.files("needs_analysis") / "resources" / "indicators.csv"
    with src.open("r", encoding="utf-8") as fh:
        frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
    return _parse_catalogue(frame, "indicators.csv (packaged)")


def _parse_catalogue(frame: pd.DataFrame, name: str) -> tuple[Indicator, ...]:
    """Validate the catalogue table and turn its rows into :class:`Indicator` records."""
    require_columns(frame, _REQUIRED, where=name, expected="columns " + ", ".join(_REQUIRED))
    out = []
    seen: set[str] = set()
    for i, row in enumerate(frame.to_dict("records"), start=2):
        where = f"{name}, row {i} ({row['id']})"
        if row["id"] in seen:
            raise NeedsAnalysisError(f"duplicate indicator id {row['id']!r}", where=where,
                                     fix="give every indicator its own id")
        seen.add(row["id"])
        if row["area"] not in AREAS:
            raise NeedsAnalysisError(f"unknown area {row['area']!r}", where=where,
                                     expected="one of " + ", ".join(AREAS))
        if row["kind"] not in ("proportion", "mean"):
            raise NeedsAnalysisError(f"unknown kind {row['kind']!r}", where=where,
                                     expected="proportion or mean")
        if not row["numerator"].strip():
            raise NeedsAnalysisError("empty numerator", where=where, expected="a pandas expression")
        out.append(
            Indicator(
                id=row["id"].strip(),
                area=row["area"].strip(),
                headline=_as_bool(row["headline"], where),
                kind=row["kind"].strip(),
                universe=row["universe"].strip(),
                numerator=row["numerator"].strip(),
                base=tuple(row["base"].split()),
                sensitive=_as_bool(row["sensitive"], where),
                framework=row["framework"].strip(),
                label_lt=row["label_lt"].strip(),
                label_en=row["label_en"].strip(),
                **{k: str(row.get(k, "")).strip() for k in _OPTIONAL},
            )
        )
    return tuple(out)
