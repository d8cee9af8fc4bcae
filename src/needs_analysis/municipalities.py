"""The six municipalities of the reference study.

Ids are ASCII (used in file names and on the command line); display names keep
their Lithuanian diacritics.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import NeedsAnalysisError

__all__ = ["Municipality", "MUNICIPALITIES", "MUNICIPALITY_IDS", "get_municipality", "resolve_municipalities"]


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
    """

    id: str
    name_lt: str
    name_en: str
    short_lt: str
    short_en: str

    def name(self, lang: str = "lt", short: bool = False) -> str:
        """Display name in ``lang`` ("lt" or "en")."""
        if short:
            return self.short_lt if lang == "lt" else self.short_en
        return self.name_lt if lang == "lt" else self.name_en


MUNICIPALITIES: tuple[Municipality, ...] = (
    Municipality("vilnius", "Vilniaus miesto savivaldybė", "Vilnius city municipality", "Vilnius", "Vilnius"),
    Municipality("kaunas", "Kauno miesto savivaldybė", "Kaunas city municipality", "Kaunas", "Kaunas"),
    Municipality("klaipeda", "Klaipėdos miesto savivaldybė", "Klaipėda city municipality", "Klaipėda", "Klaipėda"),
    Municipality("siauliai", "Šiaulių miesto savivaldybė", "Šiauliai city municipality", "Šiauliai", "Šiauliai"),
    Municipality("jonava", "Jonavos rajono savivaldybė", "Jonava district municipality", "Jonava", "Jonava"),
    Municipality("akmene", "Akmenės rajono savivaldybė", "Akmenė district municipality", "Akmenė", "Akmenė"),
)

MUNICIPALITY_IDS: tuple[str, ...] = tuple(m.id for m in MUNICIPALITIES)
_BY_ID = {m.id: m for m in MUNICIPALITIES}


def get_municipality(mid: str) -> Municipality:
    """Return the municipality with id ``mid``.

    Raises
    ------
    NeedsAnalysisError
        If ``mid`` is not one of the six ids (exit code 2).
    """
    key = str(mid).strip().lower()
    if key in _BY_ID:
        return _BY_ID[key]
    raise NeedsAnalysisError(
        f"unknown municipality {mid!r}",
        where="--municipality",
        expected="one of " + ", ".join(MUNICIPALITY_IDS) + " (or 'all')",
        exit_code=2,
    )


def resolve_municipalities(mid: str) -> list[Municipality]:
    """Expand ``"all"`` to the six municipalities, or validate one id."""
    if str(mid).strip().lower() == "all":
        return list(MUNICIPALITIES)
    return [get_municipality(mid)]
