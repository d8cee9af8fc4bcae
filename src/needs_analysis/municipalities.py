"""Lithuania's 60 municipalities (savivaldybės), from the packaged ``resources/municipalities.csv``.

Ids are ASCII (used in file names and on the command line): the town's name
(``"vilnius"``, ``"jonava"``, ``"birstonas"``), with ``_r`` for a district
municipality whose name a city municipality shares (``"kaunas_r"``: Kauno
rajono savivaldybė; ``"kaunas"`` is the city). Display names keep their
Lithuanian diacritics. ``code`` is the official municipality code (Register of
Administrative Units; the CSV's header names its source).

The CSV is read on first use (no I/O at import time): :data:`MUNICIPALITIES`
and :data:`MUNICIPALITY_IDS` are module attributes computed then (PEP 562).
Which municipalities a run covers is the study's business
(:class:`needs_analysis.config.Study`), not this module's.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .errors import NeedsAnalysisError

__all__ = ["Municipality", "MUNICIPALITIES", "MUNICIPALITY_IDS", "all_municipalities", "get_municipality",
           "resolve_municipalities"]

#: The columns of ``resources/municipalities.csv``, in order.
COLUMNS: tuple[str, ...] = ("id", "code", "kind", "name_lt", "genitive_lt", "name_en", "short_lt", "short_en",
                            "label_ru", "label_uk")


@dataclass(frozen=True)
class Municipality:
    """One municipality (savivaldybė).

    Parameters
    ----------
    id : str
        ASCII identifier, e.g. ``"klaipeda"``.
    name_lt : str
        Lithuanian name with diacritics, e.g. ``"Klaipėdos miesto savivaldybė"``.
    name_en : str
        English name, e.g. ``"Klaipėda city municipality"``.
    short_lt, short_en : str
        Short display names for figure labels.
    code : int
        The official municipality code (e.g. 21 for Klaipėdos miesto savivaldybė); 0 when not known.
    kind : str
        ``"city"`` (miesto savivaldybė), ``"district"`` (rajono savivaldybė) or ``"municipality"``.
    genitive_lt : str
        The genitive form report text uses, e.g. ``"Klaipėdos miesto"`` (the name without "savivaldybė").
    label_ru, label_uk : str
        The questionnaire's answer labels in Russian and Ukrainian.
    """

    id: str
    name_lt: str
    name_en: str
    short_lt: str
    short_en: str
    code: int = 0
    kind: str = ""
    genitive_lt: str = ""
    label_ru: str = ""
    label_uk: str = ""

    def name(self, lang: str = "lt", short: bool = False) -> str:
        """Display name in ``lang`` ("lt" or "en")."""
        if short:
            return self.short_lt if lang == "lt" else self.short_en
        return self.name_lt if lang == "lt" else self.name_en


def _resource_lines() -> list[str]:
    text = (resources.files("needs_analysis") / "resources" / "municipalities.csv").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@lru_cache(maxsize=1)
def all_municipalities() -> tuple[Municipality, ...]:
    """The 60 municipalities of ``resources/municipalities.csv``, in its (alphabetical) order.

    Examples
    --------
    >>> len(all_municipalities())
    60
    >>> get_municipality("kaunas_r").name("lt"), get_municipality("kaunas_r").code
    ('Kauno rajono savivaldybė', 52)
    """
    rows = list(csv.DictReader(_resource_lines()))
    return tuple(Municipality(id=r["id"], name_lt=r["name_lt"], name_en=r["name_en"], short_lt=r["short_lt"],
                              short_en=r["short_en"], code=int(r["code"]), kind=r["kind"],
                              genitive_lt=r["genitive_lt"], label_ru=r["label_ru"], label_uk=r["label_uk"])
                 for r in rows)


@lru_cache(maxsize=1)
def _by_id() -> dict[str, Municipality]:
    return {m.id: m for m in all_municipalities()}


def __getattr__(name: str):
    """``MUNICIPALITIES`` and ``MUNICIPALITY_IDS``, read on first use (PEP 562)."""
    if name == "MUNICIPALITIES":
        return all_municipalities()
    if name == "MUNICIPALITY_IDS":
        return tuple(m.id for m in all_municipalities())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_municipality(mid: str) -> Municipality:
    """Return the municipality with id ``mid`` (case and surrounding blanks ignored).

    Raises
    ------
    NeedsAnalysisError
        If ``mid`` is not one of the 60 ids (exit code 2).
    """
    key = str(mid).strip().lower()
    found = _by_id().get(key)
    if found is not None:
        return found
    raise NeedsAnalysisError(
        f"unknown municipality {mid!r}",
        where="--municipality",
        expected="a municipality id such as vilnius, kaunas_r or birstonas (or 'all')",
        fix="`needs-analysis municipalities` lists the 60 ids",
        exit_code=2,
    )


def resolve_municipalities(mid: str, among: tuple[str, ...] | None = None) -> list[Municipality]:
    """Expand ``"all"`` to the municipalities ``among`` (a study wave's; default all 60), or validate one id.

    Raises
    ------
    NeedsAnalysisError
        For an unknown id, or one that is not ``among`` the given ones (exit code 2).
    """
    if str(mid).strip().lower() == "all":
        return [get_municipality(m) for m in among] if among is not None else list(all_municipalities())
    try:
        found = get_municipality(mid)
    except NeedsAnalysisError as err:
        if among is None:
            raise
        raise NeedsAnalysisError(err.message, where=err.where, expected="one of " + ", ".join(among) + " (or 'all')",
                                 fix=err.fix, exit_code=2) from None
    if among is not None and found.id not in among:
        raise NeedsAnalysisError(f"municipality {found.id!r} is not surveyed in this wave", where="--municipality",
                                 expected="one of " + ", ".join(among) + " (or 'all')",
                                 fix="choose another --wave, or add it to the wave's municipalities in study.toml",
                                 exit_code=2)
    return [found]
