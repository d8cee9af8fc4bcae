"""The study's settings and a run's settings: the study file, waves, weighting variables, disclosure rules, paths.

A study is data: ``study.toml`` in the data folder (:func:`load_study`) names its
waves (year, fieldwork, mode, questionnaire version, municipalities surveyed,
folders), the raking variables, domains, CI method, disclosure rules and the
headline comparison family. It is read once per run into one frozen
:class:`Study` that :class:`RunSettings` carries to every stage. A data folder
without ``study.toml`` gets :data:`DEFAULT_STUDY` (one wave, 2021, the six
municipalities of the reference study, the flat ``raw/`` layout).

Nothing here touches the file system at import time; paths are resolved when
a function is called.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path

from ._rules import DEFAULT_RULES, DEFAULT_THRESHOLDS, PUBLIC_FILE_RULES, DisclosureRules, PublicFileRules
from .errors import NeedsAnalysisError

__all__ = [
    "RunSettings",
    "Study",
    "Wave",
    "load_study",
    "DEFAULT_STUDY",
    "DEFAULT_MUNICIPALITIES",
    "STUDY_FILE",
    "default_data_dir",
    "questionnaire_path",
    "SURVEY_YEAR",
    "FIELDWORK_START",
    "FIELDWORK_END",
    "LANGS",
    "RAKE_VARIABLES",
    "DisclosureRules",
    "DEFAULT_RULES",
    "DEFAULT_THRESHOLDS",
    "PublicFileRules",
    "PUBLIC_FILE_RULES",
]

#: The year and fieldwork of the reference study's one wave (2021): the wave of :data:`DEFAULT_STUDY` and the
#: demo data's. A run reads its wave's year from ``RunSettings.study`` (ages, years in Lithuania, eligibility).
SURVEY_YEAR = 2021
FIELDWORK_START = "2021-09-01"
FIELDWORK_END = "2021-11-30"
#: The six municipalities of the reference study, in its order: the wave of :data:`DEFAULT_STUDY`.
DEFAULT_MUNICIPALITIES: tuple[str, ...] = ("vilnius", "kaunas", "klaipeda", "siauliai", "jonava", "akmene")
#: The study file's name in a data folder.
STUDY_FILE = "study.toml"
#: Questionnaire languages, in the order of the XLSForm label columns.
LANGS: tuple[str, ...] = ("lt", "en", "ru", "uk")
#: The population margins the weights are raked to, in the order the weighting drops them when the sample
#: leaves them without a common solution (the last first): the default of ``RunSettings.rake_variables`` and
#: of :func:`needs_analysis.weighting.weight`.
RAKE_VARIABLES: tuple[str, ...] = ("sex", "agegrp", "citgrp", "permit_grounds", "years_lt")


@dataclass(frozen=True)
class Wave:
    """One survey wave of a study (a ``[[waves]]`` table of ``study.toml``).

    Parameters
    ----------
    id : str
        The wave's name, e.g. ``"2024"`` (folders and ``--wave`` use it).
    year : int
        The survey's reference year: ages (the adult cut-off), years in
        Lithuania and the eligibility checks are computed for it.
    fieldwork_start, fieldwork_end : str
        Fieldwork dates, ISO ``YYYY-MM-DD`` ("" when not given).
    mode : str
        Data collection mode, e.g. ``"online"``.
    questionnaire_version : str
        Version of the questionnaire fielded.
    changed_indicators : tuple of str
        Indicator ids whose definition changed since the previous wave's
        questionnaire: the change since that wave is marked for them, not
        computed (:func:`needs_analysis.indicators.compare_waves`).
    municipalities : tuple of str
        Ids of the municipalities surveyed (:mod:`needs_analysis.municipalities`), in report order.
    raw, reference : str
        Folders of the exports and of ``population_margins.csv``, relative to the data folder
        (default ``<id>/raw`` and ``<id>/reference``; the flat one-wave layout: ``raw`` and ``reference``).
    processed, reports : str
        Folders of the processed files and of the report packs, relative to the processed folder
        (``data/processed``) and the reports folder (default ``<id>``; the flat layout: ``"."``).
    """

    id: str
    year: int
    fieldwork_start: str = ""
    fieldwork_end: str = ""
    mode: str = ""
    questionnaire_version: str = ""
    municipalities: tuple[str, ...] = DEFAULT_MUNICIPALITIES
    changed_indicators: tuple[str, ...] = ()
    raw: str = ""
    reference: str = ""
    processed: str = ""
    reports: str = ""

    def __post_init__(self) -> None:
        for name, default in (("raw", f"{self.id}/raw"), ("reference", f"{self.id}/reference"),
                              ("processed", self.id), ("reports", self.id)):
            if not getattr(self, name):
                object.__setattr__(self, name, default)


@dataclass(frozen=True)
class Study:
    """A study: its title, waves and analysis settings (``study.toml``; :func:`load_study` reads it).

    Parameters
    ----------
    title_lt, title_en : str
        The study's title in Lithuanian and English.
    waves : tuple of Wave
        The waves, oldest first (``study.toml`` may list them in any order; they are sorted by year, then id).
    rake_variables : tuple of str
        The population margins the weights are raked to, in the order the weighting drops them.
    domains : tuple of str or None
        Subgroup variables of the estimates; None: the indicator catalogue's (``indicators.DOMAINS``).
    ci_method : str
        Interval method for proportions (``design.PROPORTION_CI_METHODS``; the pipeline checks the name).
    disclosure : DisclosureRules
        The disclosure thresholds.
    comparison_family : tuple of str or None
        Indicator ids of the headline family within which tests of change are Holm-corrected; None: the
        catalogue's headline indicators.
    source : str
        The file it was read from ("" for :data:`DEFAULT_STUDY`).
    """

    title_lt: str
    title_en: str
    waves: tuple[Wave, ...]
    rake_variables: tuple[str, ...] = RAKE_VARIABLES
    domains: tuple[str, ...] | None = None
    ci_method: str = "logit"
    disclosure: DisclosureRules = DEFAULT_RULES
    comparison_family: tuple[str, ...] | None = None
    source: str = ""

    def wave(self, wave_id: str | int | None = None) -> Wave:
        """The wave ``wave_id`` (None: the latest).

        Raises
        ------
        NeedsAnalysisError
            When the study has no such wave (exit code 2).
        """
        if wave_id is None:
            return self.waves[-1]
        for w in self.waves:
            if w.id == str(wave_id).strip():
                return w
        raise NeedsAnalysisError(f"no wave {str(wave_id)!r} in the study", where="--wave",
                                 expected="one of " + ", ".join(w.id for w in self.waves),
                                 fix=f"choose one of these, or add a [[waves]] table to {STUDY_FILE}", exit_code=2)

    @property
    def latest(self) -> Wave:
        """The latest wave (the default of ``--wave``)."""
        return self.waves[-1]

    def previous(self, wave_id: str) -> Wave | None:
        """The wave before ``wave_id`` in the study's order, or None for the first."""
        ids = [w.id for w in self.waves]
        i = ids.index(self.wave(wave_id).id)
        return self.waves[i - 1] if i > 0 else None

    def title(self, lang: str = "lt") -> str:
        """The title in ``lang``."""
        return self.title_lt if lang == "lt" else self.title_en


#: The study of a data folder without ``study.toml``: the reference study's one wave (2021, the six
#: municipalities) in the flat layout (``raw/``, ``reference/``, ``processed/<m>/``, ``reports/<m>/``).
DEFAULT_STUDY = Study(
    title_lt="Trečiųjų šalių piliečių poreikių tyrimas",
    title_en="Needs assessment of third-country nationals",
    waves=(Wave(id=str(SURVEY_YEAR), year=SURVEY_YEAR, fieldwork_start=FIELDWORK_START, fieldwork_end=FIELDWORK_END,
                mode="online", questionnaire_version="1", municipalities=DEFAULT_MUNICIPALITIES, raw="raw",
                reference="reference", processed=".", reports="."),),
)

#: Keys of ``study.toml``: top level, ``[title]`` and ``[[waves]]`` (``[disclosure]`` takes DisclosureRules' fields).
_TOP_KEYS = ("title", "waves", "raking_variables", "domains", "ci_method", "disclosure", "comparison_family")
_WAVE_KEYS = ("id", "year", "fieldwork_start", "fieldwork_end", "mode", "questionnaire_version", "municipalities",
              "changed_indicators",
              "raw", "reference", "processed", "reports")


def _study_error(path: Path, key: str, found: str, expected: str, fix: str) -> NeedsAnalysisError:
    return NeedsAnalysisError(found, where=f"{path}, key {key}", expected=expected, fix=fix)


def _str_list(value, path: Path, key: str, example: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    if (not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value)
            or (not value and not allow_empty)):
        raise _study_error(path, key, f"{key} is {value!r}", "a list of names",
                           f'write e.g. {key} = {example}')
    if len(set(value)) < len(value):
        raise _study_error(path, key, f"{key} names an entry twice", "distinct names", "remove the repeated name")
    return tuple(v.strip() for v in value)


def _unknown(table: dict, known: tuple[str, ...], path: Path, where: str) -> None:
    extra = sorted(set(table) - set(known))
    if extra:
        raise _study_error(path, f"{where}{extra[0]}", f"unknown key {extra[0]!r}", "one of " + ", ".join(known),
                           "correct its spelling or remove it")


def _date(value, path: Path, key: str) -> str:
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise _study_error(path, key, f"{key} is {value!r}", "a date YYYY-MM-DD", f"write e.g. {key.split('.')[-1]} = 2024-09-01")


def _parse_wave(table, i: int, path: Path) -> Wave:
    from .municipalities import get_municipality

    where = f"waves[{i}]."
    if not isinstance(table, dict):
        raise _study_error(path, "waves", "waves is not a list of tables", "[[waves]] tables", 'write [[waves]] then id = "2024", year = 2024...')
    _unknown(table, _WAVE_KEYS, path, where)
    for key in ("id", "year", "municipalities"):
        if key not in table:
            raise _study_error(path, where + key, f"the wave has no {key}", f"{key} in every [[waves]] table",
                               {"id": 'add id = "2024"', "year": "add year = 2024",
                                "municipalities": 'add municipalities = ["vilnius", "kaunas"]'}[key])
    wid = table["id"]
    if isinstance(wid, bool) or not isinstance(wid, (str, int)) or not str(wid).strip() or "/" in str(wid) \
            or str(wid).strip().startswith("."):
        raise _study_error(path, where + "id", f"id is {wid!r}", "a short name without '/', e.g. \"2024\"",
                           'write id = "2024"')
    year = table["year"]
    if isinstance(year, bool) or not isinstance(year, int) or not 1990 <= year <= 2100:
        raise _study_error(path, where + "year", f"year is {year!r}", "the survey's year, a whole number such as 2024",
                           "write year = 2024")
    ids = _str_list(table["municipalities"], path, where + "municipalities", '["vilnius", "kaunas_r"]')
    for mid in ids:
        try:
            get_municipality(mid)
        except NeedsAnalysisError:
            raise _study_error(path, where + "municipalities", f"unknown municipality id {mid!r}",
                               "ids of `needs-analysis municipalities` (e.g. vilnius, kaunas_r, birstonas)",
                               "correct the id") from None
    texts = {}
    for key in ("mode", "questionnaire_version", "raw", "reference", "processed", "reports"):
        value = table.get(key, "")
        if isinstance(value, int) and not isinstance(value, bool) and key == "questionnaire_version":
            value = str(value)
        if not isinstance(value, str):
            raise _study_error(path, where + key, f"{key} is {value!r}", "text", f'write {key} = "..." or leave it out')
        if key in ("raw", "reference", "processed", "reports") and (Path(value).is_absolute() or ".." in Path(value).parts):
            raise _study_error(path, where + key, f"{key} is {value!r}", "a folder inside the data (or reports) folder",
                               f'write e.g. {key} = "{wid}/{key}"')
        texts[key] = value.strip()
    start, end = (_date(table.get(k), path, where + k) for k in ("fieldwork_start", "fieldwork_end"))
    if start and end and end < start:
        raise _study_error(path, where + "fieldwork_end", f"fieldwork ends ({end}) before it starts ({start})",
                           "fieldwork_end on or after fieldwork_start", "correct the dates")
    changed = (_str_list(table["changed_indicators"], path, where + "changed_indicators", '["need_language"]',
                         allow_empty=True) if "changed_indicators" in table else ())
    return Wave(id=str(wid).strip(), year=year, fieldwork_start=start, fieldwork_end=end, municipalities=ids,
                changed_indicators=changed, **texts)


def parse_study(data: dict, path: Path) -> Study:
    """A :class:`Study` from the parsed TOML ``data`` of ``path`` (see :func:`load_study`)."""
    _unknown(data, _TOP_KEYS, path, "")
    title = data.get("title")
    if not isinstance(title, dict) or not all(isinstance(title.get(k), str) and title[k].strip() for k in ("lt", "en")):
        raise _study_error(path, "title", f"title is {title!r}", "a table with the title in lt and en",
                           'write [title] then lt = "..." and en = "..."')
    _unknown(title, ("lt", "en"), path, "title.")
    waves_data = data.get("waves")
    if isinstance(waves_data, dict):
        raise _study_error(path, "waves", "waves is one table ([waves])", "a list of tables ([[waves]])",
                           "write [[waves]] (two brackets) before each wave")
    if not isinstance(waves_data, list) or not waves_data:
        raise _study_error(path, "waves", "the study has no wave", "at least one [[waves]] table",
                           'add [[waves]] with id, year and municipalities')
    waves = tuple(sorted((_parse_wave(t, i, path) for i, t in enumerate(waves_data)), key=lambda w: (w.year, w.id)))
    seen: set[str] = set()
    for w in waves:
        if w.id in seen:
            raise _study_error(path, "waves.id", f"two waves are called {w.id!r}", "distinct wave ids", "rename one")
        seen.add(w.id)
    folders = [(w.id, k, getattr(w, k)) for w in waves for k in ("raw", "processed", "reports")]
    for k in ("raw", "processed", "reports"):
        values = [f for _, kk, f in folders if kk == k]
        if len(set(values)) < len(values):
            raise _study_error(path, f"waves.{k}", f"two waves share the {k} folder", f"a {k} folder per wave",
                               f"leave {k} out (default: <id>/...) or name distinct folders")
    kwargs: dict = {}
    if "raking_variables" in data:
        kwargs["rake_variables"] = _str_list(data["raking_variables"], path, "raking_variables",
                                             '["sex", "agegrp", "citgrp"]')
    if "domains" in data:
        kwargs["domains"] = _str_list(data["domains"], path, "domains", '["sex", "agegrp"]', allow_empty=True)
    if "comparison_family" in data:
        kwargs["comparison_family"] = _str_list(data["comparison_family"], path, "comparison_family",
                                                '["need_language", "need_housing"]')
    if "ci_method" in data:
        if not isinstance(data["ci_method"], str) or not data["ci_method"].strip():
            raise _study_error(path, "ci_method", f"ci_method is {data['ci_method']!r}", "a method name such as logit",
                               'write ci_method = "logit"')
        kwargs["ci_method"] = data["ci_method"].strip()
    if "disclosure" in data:
        rules = data["disclosure"]
        if not isinstance(rules, dict):
            raise _study_error(path, "disclosure", "disclosure is not a table", "a [disclosure] table",
                               "write [disclosure] then min_n = 30 ...")
        names = tuple(f.name for f in fields(DisclosureRules))
        _unknown(rules, names, path, "disclosure.")
        for k, v in rules.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise _study_error(path, f"disclosure.{k}", f"{k} is {v!r}", "a number", f"write {k} = ...")
        try:
            kwargs["disclosure"] = DisclosureRules(**rules)
        except NeedsAnalysisError as err:
            raise _study_error(path, "disclosure", err.message, err.expected or "", "correct the thresholds") from None
    return Study(title_lt=title["lt"].strip(), title_en=title["en"].strip(), waves=waves, source=str(path), **kwargs)


def load_study(data_dir: str | Path) -> Study:
    """The study of a data folder: ``<data_dir>/study.toml``, or :data:`DEFAULT_STUDY` when there is none.

    Raises
    ------
    NeedsAnalysisError
        One line naming ``study.toml`` and the key, what was expected and how to fix it: a file that is not
        TOML, a missing or unknown key, a value of the wrong kind, an unknown municipality id, two waves with
        the same id or folders.

    Examples
    --------
    >>> load_study("/nonexistent").latest.year
    2021
    """
    import tomllib

    path = Path(data_dir) / STUDY_FILE
    if not path.is_file():
        return DEFAULT_STUDY
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise NeedsAnalysisError(f"not a valid TOML file: {exc}", where=str(path), expected="TOML (key = value lines)",
                                 fix="correct the line named; see README, 'The study file'") from None
    except OSError as exc:
        raise NeedsAnalysisError(f"cannot read it: {exc.strerror}", where=str(path), fix="check the file") from None
    return parse_study(data, path)


def _project_root_candidates() -> list[Path]:
    here = Path.cwd().resolve()
    cands = [here, *here.parents]
    # an editable install (src layout): <root>/src/needs_analysis/config.py
    cands.append(Path(__file__).resolve().parents[2])
    return cands


def default_data_dir() -> Path:
    """The data directory used when none is given.

    Order: the ``NEEDS_ANALYSIS_DATA`` environment variable; the nearest
    ``data/`` folder with a ``raw/`` subfolder or a ``study.toml`` in the current directory or
    its parents (so notebooks in ``notebooks/`` find the repository's data);
    the repository that holds this package (editable install); finally
    ``./data``.
    """
    env = os.environ.get("NEEDS_ANALYSIS_DATA")
    if env:
        return Path(env)
    for root in _project_root_candidates():
        if (root / "data" / "raw").is_dir() or (root / "data" / STUDY_FILE).is_file():
            return root / "data"
    return Path.cwd() / "data"


def questionnaire_path() -> Path:
    """Path of the packaged XLSForm questionnaire."""
    return Path(str(resources.files("needs_analysis") / "resources" / "questionnaire.xlsx"))


@dataclass(frozen=True)
class RunSettings:
    """Settings of one pipeline run (immutable; use :meth:`with_` to change).

    Parameters
    ----------
    data_dir : Path
        Folder with ``study.toml`` (optional) and the waves' folders (the flat layout: ``raw/``,
        ``reference/`` and ``processed/``).
    out_dir : Path
        Folder that receives the report packs (default: ``reports/`` beside the data folder); a wave's
        packs go into its ``reports`` folder inside it (the flat layout: ``<out_dir>/<m>/``).
    lang : str
        Language of the report pack, ``"lt"`` (default) or ``"en"``.
    margins_file : Path or None
        Population margins CSV; ``None`` means the wave's ``reference/population_margins.csv``.
    rake_variables : tuple of str or None
        Variables whose population margins the weights are raked to; None: the study's
        (:attr:`Study.rake_variables`; without ``study.toml`` :data:`RAKE_VARIABLES`).
    ci_level : float
        Confidence level of every interval.
    min_cell : int
        Smallest sample cell kept in weighting before it is collapsed with a neighbour.
    processed_root : Path or None
        Where processed files go; ``None`` means ``data_dir/processed`` (a wave's files go into its
        ``processed`` folder inside it).
    weight_method : str
        ``"rake"`` (default), ``"linear"``, ``"logit"`` or ``"poststratify"``
        (see :func:`needs_analysis.weighting.weight`).
    trim : float, str or None
        Weight caps, e.g. ``5`` (5 x median) or ``"250abs"``; None: no trimming.
    normalise : bool
        Scale margins whose totals differ to a common total instead of failing.
    jobs : int or None
        Worker processes for the municipalities' independent steps (1: all in
        this process; ``None``: one per available core). The output does not
        depend on it. See :func:`needs_analysis.pipeline.run`.
    max_unmapped : float
        Largest share of a select_one question's answers that may match no
        choice of the questionnaire (default 0.01); more stops the run
        (:func:`needs_analysis.harmonise.check_unmapped`).
    mapping_file : Path or None
        The export's own codes -> the questionnaire's names: a LimeSurvey
        structure file (``.lss``) or a mapping csv
        (:func:`needs_analysis.harmonise.read_mapping`); None: no mapping.
    sheet : str or None
        Workbook sheet holding the responses (name or 0-based number) in
        every municipality's xlsx export; ``None``: found by its header (see
        :func:`needs_analysis.io.read_raw`).
    disclosure : DisclosureRules or None
        The disclosure thresholds of the run's estimates, comparison and
        packs; None: the study's (:attr:`Study.disclosure`; without ``study.toml`` :data:`DEFAULT_RULES`).
    study : Study or None
        The study; None: read from ``data_dir`` (:func:`load_study`) when the settings are made, once.
    wave : str or None
        The wave of the run (``--wave``); None: the study's latest.
    cache : bool
        Keep the prepared stages (clean, weighted) of every municipality in the wave's processed folder
        (``.cache/``, keyed by the inputs' hashes) and take the comparison's others from there when their
        inputs have not changed (:class:`needs_analysis.pipeline.PreparedCache`). The output is the same.

    Notes
    -----
    The settings resolve once, when made: the study is read, the wave chosen and the raking variables and
    disclosure rules not given taken from it, so every stage (and every worker process) sees the same values.
    :meth:`with_` with a new ``data_dir`` reads that folder's study again (and takes the wave, raking
    variables and rules not given explicitly from it).
    """

    data_dir: Path = field(default_factory=default_data_dir)
    out_dir: Path | None = None
    lang: str = "lt"
    margins_file: Path | None = None
    rake_variables: tuple[str, ...] | None = None
    ci_level: float = 0.95
    min_cell: int = 5
    processed_root: Path | None = None
    weight_method: str = "rake"
    trim: float | str | None = None
    normalise: bool = False
    jobs: int | None = 1
    max_unmapped: float = 0.01
    mapping_file: Path | None = None
    sheet: str | None = None
    disclosure: DisclosureRules | None = None
    study: Study | None = None
    wave: str | None = None
    cache: bool = True
    #: the study-derived fields given explicitly (kept by :meth:`with_` when the data folder changes)
    explicit: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.study is None:  # a fresh read: what is set now was given (copies carry a resolved study)
            given = {k for k in _FROM_STUDY if getattr(self, k) is not None}
            object.__setattr__(self, "explicit", frozenset(self.explicit | given))
        study = self.study if self.study is not None else load_study(self.data_dir)
        object.__setattr__(self, "study", study)
        object.__setattr__(self, "wave", study.wave(self.wave).id)
        if self.rake_variables is None:
            object.__setattr__(self, "rake_variables", tuple(study.rake_variables))
        else:
            object.__setattr__(self, "rake_variables", tuple(self.rake_variables))
        if self.disclosure is None:
            object.__setattr__(self, "disclosure", study.disclosure)

    @property
    def wave_info(self) -> Wave:
        """The run's :class:`Wave` (year, fieldwork, municipalities, folders)."""
        return self.study.wave(self.wave)

    @property
    def survey_year(self) -> int:
        """The run's wave's reference year (ages, years in Lithuania, eligibility)."""
        return self.wave_info.year

    @property
    def municipalities(self) -> tuple[str, ...]:
        """The ids of the municipalities the run's wave surveyed, in report order."""
        return self.wave_info.municipalities

    @property
    def raw_dir(self) -> Path:
        return Path(self.data_dir) / self.wave_info.raw

    @property
    def reference_dir(self) -> Path:
        return Path(self.data_dir) / self.wave_info.reference

    @property
    def processed_dir(self) -> Path:
        root = Path(self.processed_root) if self.processed_root else Path(self.data_dir) / "processed"
        return _join(root, self.wave_info.processed)

    @property
    def reports_root(self) -> Path:
        """The reports folder of every wave (``--out``, default ``reports/`` beside the data folder)."""
        return Path(self.out_dir) if self.out_dir is not None else Path(self.data_dir).resolve().parent / "reports"

    @property
    def reports_dir(self) -> Path:
        return _join(self.reports_root, self.wave_info.reports)

    @property
    def exports_dir(self) -> Path:
        """Default folder of ``needs-analysis export``: ``exports/`` beside the data folder, the wave's
        ``reports`` subfolder inside it (the flat layout: ``exports/`` itself)."""
        return _join(Path(self.data_dir).resolve().parent / "exports", self.wave_info.reports)

    @property
    def margins_path(self) -> Path:
        return Path(self.margins_file) if self.margins_file else self.reference_dir / "population_margins.csv"

    def with_(self, **changes) -> "RunSettings":
        """Return a copy with ``changes`` applied.

        A new ``data_dir`` (without ``study``) reads that folder's study, a new ``study`` is taken as it is;
        the wave, raking variables and disclosure rules then come from the new study unless they were given
        explicitly (here or before).
        """
        explicit = self.explicit | {k for k in _FROM_STUDY if changes.get(k) is not None}
        if ("data_dir" in changes and "study" not in changes) or changes.get("study") is not None:
            changes.setdefault("study", None)
            for k in _FROM_STUDY:
                if k not in changes and k not in explicit:
                    changes[k] = None
        return replace(self, explicit=frozenset(explicit), **changes)


#: The fields of RunSettings that default to the study's values.
_FROM_STUDY = ("rake_variables", "disclosure", "wave")


def _join(root: Path, sub: str) -> Path:
    """``root / sub``, with ``"."`` (the flat layout) giving ``root`` itself."""
    return root if sub in ("", ".") else root / sub
