"""The monitoring table and its Frictionless Data package."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._atomic import replace_file
from .._safe_cells import write_csv
from .._version import __version__
from ..disclosure import FLAGS, mask_withheld
from ..errors import NeedsAnalysisError

__all__ = ["Field", "MONITORING_FIELDS", "MONITORING_COLUMNS", "MONITORING_KEY", "monitoring_table",
           "datapackage", "write_monitoring"]

#: the unit of an estimate by the indicator's kind
_UNITS = {"proportion": "proportion (0-1)", "mean": "mean (count per person)"}
#: the domain value of the rows of the whole population (a primary key has no blanks)
TOTAL = "total"


@dataclass(frozen=True)
class Field:
    """One column of the monitoring table as the table schema describes it.

    Parameters
    ----------
    name : str
        Column name.
    type : str
        Table Schema type (``string``, ``integer``, ``number``, ``boolean``).
    title_en, title_lt : str
        Titles in English and Lithuanian.
    description : str
        What the column holds (English).
    unit : str
        The unit of a numeric column ("" when it has none).
    required : bool
        Whether every row has a value.
    enum : tuple of str
        The allowed values of a string column (empty: any).
    """

    name: str
    type: str
    title_en: str
    title_lt: str
    description: str
    unit: str = ""
    required: bool = False
    enum: tuple[str, ...] = ()

    def descriptor(self) -> dict:
        """The field's Table Schema descriptor (``title`` in English, ``title_lt`` in Lithuanian)."""
        out: dict = {"name": self.name, "type": self.type, "title": self.title_en, "title_lt": self.title_lt,
                     "description": self.description}
        if self.unit:
            out["unit"] = self.unit
        constraints: dict = {}
        if self.required:
            constraints["required"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if constraints:
            out["constraints"] = constraints
        return out


_EST = "the unit of the row's `unit` column: a proportion between 0 and 1, or a mean"
MONITORING_FIELDS: tuple[Field, ...] = (
    Field("wave", "string", "Survey wave", "Tyrimo banga", "Id of the survey wave", required=True),
    Field("year", "integer", "Survey year", "Tyrimo metai", "Reference year of the wave", unit="year"),
    Field("municipality", "string", "Municipality", "Savivaldybė", "ASCII id of the municipality",
          required=True),
    Field("indicator", "string", "Indicator", "Rodiklis", "Id of the indicator in the catalogue", required=True),
    Field("label_lt", "string", "Indicator (Lithuanian)", "Rodiklis (lietuviškai)", "Indicator label in Lithuanian"),
    Field("label_en", "string", "Indicator (English)", "Rodiklis (angliškai)", "Indicator label in English"),
    Field("area", "string", "Needs area", "Poreikių sritis", "Area of needs the indicator belongs to"),
    Field("kind", "string", "Kind of estimate", "Įverčio rūšis", "proportion or mean",
          enum=tuple(_UNITS)),
    Field("unit", "string", "Unit", "Matavimo vienetas", "Unit of estimate, se and confidence limits",
          enum=tuple(_UNITS.values())),
    Field("domain", "string", "Subgroup variable", "Pogrupio kintamasis",
          f"Variable defining the subgroup; '{TOTAL}' for all adult third-country nationals", required=True),
    Field("domain_value", "string", "Subgroup", "Pogrupis",
          f"Category of the subgroup variable; '{TOTAL}' on the rows for all", required=True),
    Field("estimate", "number", "Estimate", "Įvertis", "Weighted estimate; blank when withheld by disclosure "
          "control (see flag). Unit: " + _EST, unit="see unit"),
    Field("se", "number", "Standard error", "Standartinė paklaida", "Design-based standard error",
          unit="see unit"),
    Field("ci_low", "number", "Lower confidence limit", "Apatinė pasikliautinojo intervalo riba",
          "Lower limit of the confidence interval at level ci_level", unit="see unit"),
    Field("ci_high", "number", "Upper confidence limit", "Viršutinė pasikliautinojo intervalo riba",
          "Upper limit of the confidence interval at level ci_level", unit="see unit"),
    Field("ci_level", "number", "Confidence level", "Pasikliovimo lygmuo", "Level of the confidence interval",
          unit="proportion (0-1)"),
    Field("ci_method", "string", "Interval method", "Intervalo metodas",
          "Method of the confidence interval (logit: logit interval with design degrees of freedom)"),
    Field("n", "integer", "Respondents (unweighted base)", "Respondentų skaičius (nesvertinė imtis)",
          "Respondents in the indicator's base; blank when not published (below the minimum base, withheld by "
          "the disclosure audit, or bases not part of this release)", unit="persons"),
    Field("flag", "string", "Disclosure flag", "Atskleidimo kontrolės žymė",
          "Blank: published; caution: small base or imprecise; suppressed or not_shown: withheld",
          enum=tuple(f for f in FLAGS if f)),
)
#: Column order of the monitoring table.
MONITORING_COLUMNS: tuple[str, ...] = tuple(f.name for f in MONITORING_FIELDS)
#: The primary key of the monitoring table.
MONITORING_KEY: tuple[str, ...] = ("wave", "municipality", "indicator", "domain", "domain_value")

_NEEDED = ("municipality", "indicator", "kind", "domain", "domain_value", "estimate", "se", "ci_low", "ci_high",
           "n", "flag")


def _one_wave(wave: str, tables, year, ci_level: float, with_bases: bool) -> pd.DataFrame:
    parts = [tables] if isinstance(tables, pd.DataFrame) else list(tables)
    if not parts:
        raise NeedsAnalysisError(f"wave {wave!r} has no estimates", where="monitoring_table(estimates=)",
                                 expected="an estimates table, or a list of them, per wave")
    for t in parts:
        missing = [c for c in _NEEDED if not isinstance(t, pd.DataFrame) or c not in t.columns]
        if missing:
            raise NeedsAnalysisError(f"an estimates table of wave {wave!r} has no column {missing[0]!r}",
                                     where="monitoring_table(estimates=)",
                                     expected="estimates tables after disclosure control (columns "
                                              + ", ".join(_NEEDED) + ")",
                                     fix="pass the published estimates of each municipality")
    d = mask_withheld(pd.concat(parts, ignore_index=True))
    kinds = d["kind"].astype(str)
    bad = sorted(set(kinds) - set(_UNITS))
    if bad:
        raise NeedsAnalysisError(f"kind {bad[0]!r} in wave {wave!r}", where="monitoring_table(estimates=)",
                                 expected="proportion or mean")
    out = pd.DataFrame({
        "wave": str(wave),
        "year": pd.array([year] * len(d), dtype="Int64"),
        "municipality": d["municipality"].astype(str),
        "indicator": d["indicator"].astype(str),
        **{c: (d[c].astype(str) if c in d.columns else "") for c in ("label_lt", "label_en", "area")},
        "kind": kinds,
        "unit": kinds.map(_UNITS),
        "domain": d["domain"].astype(str),
        "domain_value": d["domain_value"].astype(object).where(d["domain_value"].notna(), TOTAL).astype(str),
        **{c: pd.to_numeric(d[c], errors="coerce").astype(float) for c in ("estimate", "se", "ci_low", "ci_high")},
        "ci_level": float(ci_level),
        "ci_method": d["ci_method"].astype(str) if "ci_method" in d.columns else "",
        "n": (pd.to_numeric(d["n"], errors="coerce") if with_bases else pd.Series(np.nan, index=d.index)
              ).astype("Int64"),
        "flag": d["flag"].astype(object).where(d["flag"].notna(), "").astype(str),
    })
    return out


def monitoring_table(
    estimates: Mapping[str, pd.DataFrame | Iterable[pd.DataFrame]],
    *,
    years: Mapping[str, int] | None = None,
    ci_level: float = 0.95,
    with_bases: bool = False,
) -> pd.DataFrame:
    """Every published estimate of every wave and municipality, in one tidy table.

    Parameters
    ----------
    estimates : mapping of str to DataFrame or list of DataFrames
        Wave id -> the wave's published estimates tables (one table of all
        municipalities, or one per municipality), after disclosure control
        (``pipeline.estimate_stage`` or the pack's tables). Not modified.
    years : mapping of str to int, optional
        Wave id -> survey year; a wave missing here whose id is a year
        (``"2024"``) gets that year, otherwise the year is blank.
    ci_level : float, default 0.95
        The confidence level of the intervals (the run's ``ci_level``).
    with_bases : bool, default False
        Publish the bases ``n``. Only for estimates as the packs publish them,
        after the disclosure audit of
        :func:`~needs_analysis.report.write_pack`
        (:func:`~needs_analysis.disclosure.protect_pack`): the audit withholds
        a base that would reveal a hidden count, and the estimates of
        ``pipeline.estimate_stage`` still hold it. Without it ``n`` is blank.

    Returns
    -------
    DataFrame
        Columns :data:`MONITORING_COLUMNS`, one row per wave, municipality,
        indicator, domain and domain value (primary key
        :data:`MONITORING_KEY`; the whole population's rows have domain
        value ``"total"``), sorted by the key's wave, municipality,
        indicator in the input order within. Withheld rows keep their flag
        and have blank values (:func:`needs_analysis.disclosure.mask_withheld`
        applied once more); counts and design effects are left out, and the
        bases unless ``with_bases``.

    Raises
    ------
    NeedsAnalysisError
        A wave without tables, a table without the estimates columns, an
        unknown kind, a key that appears twice.
    """
    if not isinstance(estimates, Mapping) or not estimates:
        raise NeedsAnalysisError("no waves", where="monitoring_table(estimates=)",
                                 expected="a mapping {wave id: estimates table(s)}")
    years = dict(years or {})
    parts = []
    for wave, tables in estimates.items():
        year = years.get(str(wave), int(wave) if str(wave).isdigit() else None)
        parts.append(_one_wave(str(wave), tables, year, ci_level, with_bases))
    out = pd.concat(parts, ignore_index=True)
    dup = out.duplicated(list(MONITORING_KEY))
    if dup.any():
        first = out.loc[dup].iloc[0]
        raise NeedsAnalysisError("the estimate " + ", ".join(f"{k}={first[k]!r}" for k in MONITORING_KEY)
                                 + " appears twice", where="monitoring_table(estimates=)",
                                 expected="each municipality's estimates once per wave")
    order = np.lexsort((np.arange(len(out)), out["municipality"].to_numpy(str), out["wave"].to_numpy(str)))
    return out.iloc[order][list(MONITORING_COLUMNS)].reset_index(drop=True)


def datapackage(
    *,
    resource_path: str = "monitoring_estimates.csv",
    title_en: str = "Needs of third-country nationals in Lithuanian municipalities: survey estimates",
    title_lt: str = "Trečiųjų šalių piliečių poreikiai Lietuvos savivaldybėse: tyrimo įverčiai",
    licence: str = "CC-BY-4.0",
    sources: Iterable[Mapping[str, str]] = (),
) -> dict:
    """The Frictionless Data package descriptor of the monitoring table.

    Parameters
    ----------
    resource_path : str
        The CSV file's path relative to the descriptor.
    title_en, title_lt : str
        The package's title in English and Lithuanian.
    licence : str, default "CC-BY-4.0"
        An SPDX licence id; CC-BY-4.0 and CC0-1.0 get their URL and title.
    sources : iterable of mapping
        The data's sources, each with ``title`` and optionally ``path``; the
        surveys of the study and the population margins used for weighting.

    Returns
    -------
    dict
        A Tabular Data Package descriptor (Frictionless Data v1): one
        resource with the table schema of :data:`MONITORING_FIELDS`, primary
        key :data:`MONITORING_KEY`, missing values ``""``.

    References
    ----------
    Frictionless Data, *Data Package* and *Table Schema* specifications,
    https://specs.frictionlessdata.io/.
    """
    known = {"CC-BY-4.0": ("https://creativecommons.org/licenses/by/4.0/", "Creative Commons Attribution 4.0"),
             "CC0-1.0": ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0 1.0 Universal")}
    lic = {"name": licence}
    if licence in known:
        lic["path"], lic["title"] = known[licence]
    schema = {"fields": [f.descriptor() for f in MONITORING_FIELDS], "primaryKey": list(MONITORING_KEY),
              "missingValues": [""]}
    return {
        "profile": "tabular-data-package",
        "name": "needs-analysis-monitoring",
        "title": title_en,
        "title_lt": title_lt,
        "description": ("Every published estimate of the needs-assessment surveys of third-country nationals, by "
                        "survey wave, municipality, indicator and subgroup, after disclosure control: withheld "
                        "values are blank and keep their flag."),
        "version": __version__,
        "licenses": [lic],
        "sources": [dict(s) for s in sources],
        "resources": [{
            "name": "monitoring_estimates",
            "path": resource_path,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": schema,
        }],
    }


def write_monitoring(table: pd.DataFrame, folder: str | Path, **package) -> list[Path]:
    """Write the monitoring table and its package descriptor.

    Parameters
    ----------
    table : DataFrame
        :func:`monitoring_table` output.
    folder : str or Path
        Destination folder (created); ``monitoring_estimates.csv`` and
        ``datapackage.json`` are written whole (each replaced atomically).
    **package
        Keyword arguments of :func:`datapackage` (title, licence, sources).

    Returns
    -------
    list of Path
        The CSV file and the descriptor. Same table, same bytes (sorted
        keys, no dates).
    """
    missing = [c for c in MONITORING_COLUMNS if c not in table.columns]
    if missing:
        raise NeedsAnalysisError(f"column {missing[0]!r} missing", where="write_monitoring(table=)",
                                 expected="the output of monitoring_table")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    desc = datapackage(**package)
    csv_path = folder / desc["resources"][0]["path"]
    with replace_file(csv_path) as temp:
        write_csv(table[list(MONITORING_COLUMNS)], temp)
    json_path = folder / "datapackage.json"
    with replace_file(json_path) as temp:
        temp.write_text(json.dumps(desc, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return [csv_path, json_path]
