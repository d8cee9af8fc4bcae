"""One municipality's survey as an immutable object that reads like the analysis.

>>> import needs_analysis as na                                      # doctest: +SKIP
>>> s = na.load("vilnius").clean().weight().estimate()               # doctest: +SKIP
>>> s.estimates.query("headline and domain == 'total'")              # doctest: +SKIP

Every step returns a **new** :class:`Survey`; the object it was called on is
unchanged, so ``s0 = na.load("kaunas")`` can be cleaned twice with different
options side by side. The steps call the pipeline's own stage functions
(:func:`needs_analysis.pipeline.load_stage`, ``clean_stage``,
``weight_stage``, ``estimate_stage``), so a survey built here gives exactly
the numbers of ``needs-analysis run``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from . import pipeline
from ._survey_repr import survey_html, survey_text
from .clean import CleanResult
from .codebook import Codebook, load_codebook
from .config import RunSettings
from .errors import NeedsAnalysisError
from .harmonise import DATAFRAME_PATH, Harmonised, check_unmapped
from .io import RawFile, find_raw_file
from .municipalities import get_municipality
from .weighting import WeightResult, WeightsReport

__all__ = ["Survey", "load", "STAGE_ORDER"]

#: The stages a :class:`Survey` passes through, in order.
STAGE_ORDER: tuple[str, ...] = ("loaded", "cleaned", "weighted", "estimated")


def _copy_frame(df: pd.DataFrame | None) -> pd.DataFrame | None:
    return None if df is None else df.copy(deep=True)


def _settings(settings: RunSettings | None, data_dir: str | Path | None, wave: str | None = None) -> RunSettings:
    s = settings if settings is not None else RunSettings()
    if not isinstance(s, RunSettings):
        raise NeedsAnalysisError(f"settings is a {type(s).__name__}", where="load(settings=)",
                                 expected="a needs_analysis.config.RunSettings", fix="use RunSettings(...)")
    s = s.with_(data_dir=Path(data_dir)) if data_dir is not None else s
    return s.with_(wave=str(wave)) if wave is not None else s


def _recode_raw(frame: pd.DataFrame, recode: Mapping[str, Mapping], where: str) -> pd.DataFrame:
    """Replace answer labels column by column (before harmonisation); unknown columns are an error."""
    out = frame
    for col, mapping in recode.items():
        if col not in out.columns:
            raise NeedsAnalysisError(f"recode names column {col!r}, which the export does not have", where=where,
                                     expected="a column of the export (after rename)", fix="check the column name")
        out = out.assign(**{col: out[col].map(lambda v, m=dict(mapping): m.get(v, v))})
    return out


@dataclasses.dataclass(frozen=True, eq=False)
class Survey:
    """The survey of one municipality at one stage of the analysis.

    Build it with :func:`load`; go on with :meth:`clean`, :meth:`weight`
    and :meth:`estimate`. Each step returns a new ``Survey`` and drops the
    results of later stages (re-cleaning forgets the weights).

    Parameters
    ----------
    municipality : str
        Municipality id.
    settings : RunSettings
        Paths and options used by every stage (margins file, raking
        variables, confidence level, report language, output folders).
    codebook : Codebook
        The questionnaire.
    raw : RawFile
        The export as read.
    harmonised : Harmonised
        The export in codebook codes.
    _cleaned, _weighted : CleanResult, WeightResult, optional
        Results of the cleaning and weighting stages (read them through
        :attr:`cleaned` and :attr:`weighted`, which return copies).
    _estimates : DataFrame, optional
        Estimates table after disclosure control (read it as :attr:`estimates`).
    catalogue : tuple of Indicator, optional
        Indicators estimated when not the packaged catalogue.
    load_options : dict
        ``rename`` / ``recode`` / ``sheet`` given to :func:`load` (shown in
        the summary; empty for a plain load).

    Notes
    -----
    The stage results are frozen dataclasses but hold pandas objects; the
    accessors (:attr:`responses`, :attr:`cleaning_log`, :attr:`estimates`...)
    return copies, so changing what they return never changes the survey.

    Examples
    --------
    >>> import needs_analysis as na
    >>> s = na.load("akmene")
    >>> s.stage, s.n > 0
    ('loaded', True)
    >>> c = s.clean()
    >>> s.stage, c.stage
    ('loaded', 'cleaned')
    >>> int(c.row_accounting.query("step == 'kept'")["n"].iloc[0]) == c.n
    True
    """

    municipality: str
    settings: RunSettings
    codebook: Codebook
    raw: RawFile
    harmonised: Harmonised
    _cleaned: CleanResult | None = None
    _weighted: WeightResult | None = None
    _estimates: pd.DataFrame | None = None
    catalogue: tuple | None = None
    load_options: Mapping = dataclasses.field(default_factory=lambda: MappingProxyType({}))

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_run(cls, run: pipeline.MunicipalityRun, settings: RunSettings | None = None) -> "Survey":
        """The estimated survey of a :class:`~needs_analysis.pipeline.MunicipalityRun` (e.g. from ``na.run``).

        Parameters
        ----------
        run : MunicipalityRun
            One element of :func:`needs_analysis.pipeline.run`'s result.
        settings : RunSettings, optional
            The settings of that run (default settings if None).

        Returns
        -------
        Survey
        """
        cb = load_codebook()
        settings = settings or RunSettings()
        harmonised = pipeline.harmonise_stage(run.raw, settings, cb, source=str(run.raw.path))
        return cls(run.municipality, settings, cb, run.raw, harmonised, run.cleaned, run.weighted,
                   run.estimates)

    # ------------------------------------------------------------------ state
    @property
    def stage(self) -> str:
        """``"loaded"``, ``"cleaned"``, ``"weighted"`` or ``"estimated"``."""
        if self._estimates is not None:
            return "estimated"
        if self._weighted is not None:
            return "weighted"
        if self._cleaned is not None:
            return "cleaned"
        return "loaded"

    @property
    def n(self) -> int:
        """Number of respondents at the current stage (submissions before cleaning)."""
        return len(self._current_data())

    @property
    def n_received(self) -> int:
        """Submissions in the raw export."""
        return len(self.harmonised.data)

    def _current_data(self) -> pd.DataFrame:
        if self._weighted is not None:
            return self._weighted.data
        if self._cleaned is not None:
            return self._cleaned.data
        return self.harmonised.data

    def _require(self, stage: str, action: str) -> None:
        if STAGE_ORDER.index(self.stage) < STAGE_ORDER.index(stage):
            step = {"cleaned": ".clean()", "weighted": ".weight()", "estimated": ".estimate()"}[stage]
            raise NeedsAnalysisError(f"{action} needs a {stage} survey, this one is {self.stage}",
                                     where=f"Survey({self.municipality})", expected=f"call {step} first",
                                     fix=f"e.g. na.load({self.municipality!r}).clean().weight().estimate()")

    # ------------------------------------------------------------------ accessors (copies)
    @property
    def responses(self) -> pd.DataFrame:
        """The responses at the current stage (a copy): codes, derived variables, ``weight`` once weighted."""
        return self._current_data().copy(deep=True)

    @property
    def unmapped(self) -> pd.DataFrame:
        """Answers of the export that match no code: ``variable, value, n``."""
        return self.harmonised.unmapped_counts

    @property
    def cleaned(self) -> CleanResult | None:
        """The cleaning stage's result (copies of its tables), or None before :meth:`clean`."""
        c = self._cleaned
        return None if c is None else dataclasses.replace(c, data=c.data.copy(), log=c.log.copy(),
                                                          summary=c.summary.copy())

    @property
    def weighted(self) -> WeightResult | None:
        """The weighting stage's result (copies of its tables), or None before :meth:`weight`."""
        w = self._weighted
        if w is None:
            return None
        return dataclasses.replace(w, data=w.data.copy(), report=self.weights_report,
                                   cells=_copy_frame(w.cells),
                                   margins={k: dict(v) for k, v in (w.margins or {}).items()})

    @property
    def cleaning_log(self) -> pd.DataFrame:
        """The cleaning log (one row per action; see :mod:`needs_analysis.clean`)."""
        self._require("cleaned", "the cleaning log")
        return self._cleaned.log.copy()

    @property
    def row_accounting(self) -> pd.DataFrame:
        """Records received, removed by reason, kept; values changed and flagged by check."""
        self._require("cleaned", "the row accounting")
        return self._cleaned.summary.copy()

    @property
    def weights(self) -> pd.Series:
        """The weights, indexed by ``respondent_id``."""
        self._require("weighted", "weights")
        d = self._weighted.data
        return pd.Series(d["weight"].to_numpy(float), index=pd.Index(d["respondent_id"], name="respondent_id"),
                         name="weight")

    @property
    def weights_report(self) -> WeightsReport:
        """Weighting diagnostics: ``summary``, ``margins``, ``collapses``, ``totals``, ``imputed`` (copies)."""
        self._require("weighted", "the weights report")
        return self._weighted.report.copy()

    @property
    def estimates(self) -> pd.DataFrame:
        """The tidy estimates table after disclosure control (a copy)."""
        self._require("estimated", "the estimates table")
        return self._estimates.copy()

    # ------------------------------------------------------------------ steps
    def clean(self, **options) -> "Survey":
        """Run every cleaning check; return a new, cleaned survey.

        Parameters
        ----------
        **options
            Options of :func:`needs_analysis.clean.clean` (``speeder_share``,
            ``near_duplicate_share``...). Without options this is exactly the
            pipeline's :func:`~needs_analysis.pipeline.clean_stage`.

        Returns
        -------
        Survey
            Stage ``"cleaned"``; weights and estimates of ``self`` are not carried over.

        Raises
        ------
        NeedsAnalysisError
            A select_one question with more than ``settings.max_unmapped`` of
            its answers unmapped (as ``needs-analysis run`` stops at loading;
            here :attr:`unmapped` can be inspected first and fixed with
            ``recode``).
        """
        check_unmapped(self.harmonised, self.settings.max_unmapped, source=str(self.raw.path),
                       codebook=self.codebook)
        options = {"survey_year": self.settings.survey_year, **options}  # the wave's year, unless given
        result = pipeline.clean_stage(self.harmonised, self.municipality, source=str(self.raw.path),
                                      codebook=self.codebook, **options)
        return dataclasses.replace(self, _cleaned=result, _weighted=None, _estimates=None, catalogue=None)

    def weight(self, *, margins: str | Path | None = None, variables: Sequence[str] | None = None,
               min_cell: int | None = None) -> "Survey":
        """Rake the clean respondents to the population margins; return a new, weighted survey.

        Parameters
        ----------
        margins : str or Path, optional
            Population margins CSV (``municipality, variable, category,
            count, source``); default ``settings.margins_path``.
        variables : sequence of str, optional
            Raking variables; default ``settings.rake_variables``.
        min_cell : int, optional
            Smallest sample cell before collapsing; default ``settings.min_cell``.

        Returns
        -------
        Survey
            Stage ``"weighted"``, with the changed options recorded in its ``settings``.

        Notes
        -----
        Calls :func:`needs_analysis.pipeline.weight_stage` (raking,
        :func:`needs_analysis.weighting.weight`).

        References
        ----------
        Deville, J.-C. and Särndal, C.-E. (1992). Calibration estimators in
        survey sampling. *JASA* 87, 376-382.

        Examples
        --------
        See :meth:`design`.
        """
        self._require("cleaned", "weighting")
        changes = {}
        if margins is not None:
            changes["margins_file"] = Path(margins)
        if variables is not None:
            changes["rake_variables"] = tuple(variables)
        if min_cell is not None:
            changes["min_cell"] = int(min_cell)
        settings = self.settings.with_(**changes) if changes else self.settings
        result = pipeline.weight_stage(self._cleaned, self.municipality, settings)
        return dataclasses.replace(self, settings=settings, _weighted=result, _estimates=None, catalogue=None)

    def estimate(self, indicators: Sequence | None = None, *, domains: Sequence[str] | None = None,
                 ci_level: float | None = None) -> "Survey":
        """Estimate the indicators overall and by subgroup, then apply disclosure control.

        Parameters
        ----------
        indicators : sequence of str or Indicator, optional
            Indicator ids of the packaged catalogue and/or your own
            :class:`~needs_analysis.indicators.Indicator` objects; default the
            whole packaged catalogue (what the pipeline estimates).
        domains : sequence of str, optional
            Subgroup variables; default :data:`needs_analysis.indicators.DOMAINS`.
        ci_level : float, optional
            Confidence level; default ``settings.ci_level`` (0.95).

        Returns
        -------
        Survey
            Stage ``"estimated"``; the table is :attr:`estimates`.

        Notes
        -----
        With the defaults this is exactly
        :func:`needs_analysis.pipeline.estimate_stage`. Proportions get logit
        intervals; domain estimates use the whole design (``by=``), so their
        standard errors include the random domain size.

        References
        ----------
        Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, ch. 2-3.

        Examples
        --------
        >>> import needs_analysis as na
        >>> e = na.load("akmene").clean().weight().estimate(["need_language"], domains=["sex"])
        >>> e.estimates[["indicator", "domain", "domain_value"]].to_numpy().tolist()
        [['need_language', 'total', 'total'], ['need_language', 'sex', 'female'], ['need_language', 'sex', 'male']]
        """
        from .indicators import load_catalogue

        self._require("weighted", "estimation")
        settings = self.settings.with_(ci_level=float(ci_level)) if ci_level is not None else self.settings
        catalogue = None
        if indicators is not None:
            packaged = {i.id: i for i in load_catalogue()}
            chosen = []
            for item in indicators:
                if isinstance(item, str):
                    if item not in packaged:
                        raise NeedsAnalysisError(f"unknown indicator {item!r}", where="Survey.estimate(indicators=)",
                                                 expected="an id of the catalogue (na.indicators.load_catalogue())",
                                                 fix="check the spelling or pass an Indicator object")
                    chosen.append(packaged[item])
                else:
                    chosen.append(item)
            catalogue = tuple(chosen)
        est = pipeline.estimate_stage(self._weighted, self.municipality, settings, catalogue=catalogue,
                                      domains=tuple(domains) if domains is not None else None)
        return dataclasses.replace(self, settings=settings, _estimates=est, catalogue=catalogue)

    # ------------------------------------------------------------------ analysis helpers
    def design(self, *, calibrated: bool = False, keep_missing: bool = False):
        """A :class:`~needs_analysis.design.SurveyDesign` of the weighted responses.

        Parameters
        ----------
        keep_missing : bool, default False
            The questionnaire's choice questions (and the derived groups
            ``agegrp``, ``citgrp``, ``years_lt``) are categories in the
            questionnaire's order; don't-know and refused answers are missing,
            so they are left out of every base, as in the packs' indicators.
            True keeps them as categories (last).
        calibrated : bool, default False
            False: the final weights treated as fixed (what the indicator
            estimates use). True: equal starting weights raked again to the
            margins the weighting used, inside the design, so that standard
            errors include the calibration (usually smaller for variables
            related to the margins). The calibration variables appear as
            ``cal_<variable>`` columns (categories after any collapsing).

        Returns
        -------
        SurveyDesign

        References
        ----------
        Deville, J.-C. and Särndal, C.-E. (1992). Calibration estimators in
        survey sampling. *JASA* 87, 376-382.

        Examples
        --------
        A margin variable has no sampling error once the calibration is
        taken into account:

        >>> import needs_analysis as na
        >>> w = na.load("akmene").clean().weight()
        >>> round(float(w.weights.sum()))  # the population total of Akmenė's margins (the latest wave, 2024)
        450
        >>> bool(w.design().proportion("sex")["se"].min() > 0.01)
        True
        >>> bool(w.design(calibrated=True).proportion("sex")["se"].max() < 1e-6)
        True
        """
        from .design import SurveyDesign

        self._require("weighted", "a design")
        w = self._weighted
        columns = _ordered_categories(w.data, self.codebook, keep_missing=keep_missing)
        if not calibrated:
            return SurveyDesign(w.data.assign(**columns), weights="weight")
        # the weighting module's own bridge: the same method (rake, calibration, post-stratification)
        # and margins as the weights, with calibration residuals in the variance
        return w.design().with_columns(pd.DataFrame(columns))

    def proportion(self, variable, by=None, *, keep_missing: bool = False, calibrated: bool = False,
                   **options) -> pd.DataFrame:
        """Shares of a variable's categories, as the packs count them.

        Parameters
        ----------
        variable : str or list of str
            Variable(s) of the responses.
        by : str or list of str, optional
            Domain variables.
        keep_missing : bool, default False
            Keep don't-know and refused as categories (default: left out of
            the base, as in the packs' indicators).
        calibrated : bool, default False
            As in :meth:`design`.
        **options
            Passed to :meth:`needs_analysis.design.SurveyDesign.proportion`
            (``ci_method``, ``level``, ...).

        Returns
        -------
        EstimateTable
            One row per (domain and) category, categories in the
            questionnaire's order.

        Examples
        --------
        >>> import needs_analysis as na
        >>> w = na.load("akmene").clean().weight()
        >>> list(w.proportion("lt_level")["level"])
        ['none', 'basic', 'intermediate', 'advanced']
        >>> list(w.proportion("lt_level", keep_missing=True)["level"])[-2:]
        ['dont_know', 'refused']
        """
        return self.design(calibrated=calibrated, keep_missing=keep_missing).proportion(variable, by=by, **options)

    def figures(self, lang: str | None = None, keys: Sequence[str] | None = None) -> dict:
        """The report-pack figures of this survey (no file is written).

        Parameters
        ----------
        lang : {"lt", "en"}, optional
            Language of all text; default ``settings.lang``.
        keys : sequence of str, optional
            Subset of :data:`needs_analysis.figures.FIGURE_KEYS`.

        Returns
        -------
        dict of str to matplotlib.figure.Figure
            Figure 8 (comparison with the other municipalities) needs all six
            and is not drawn here; see :func:`needs_analysis.figures.comparison_figure`.

        Examples
        --------
        >>> import needs_analysis as na
        >>> e = na.load("akmene").clean().weight().estimate(["need_language", "need_housing"], domains=[])
        >>> figs = e.figures(lang="en", keys=["01_respondent_profile"])
        >>> type(figs["01_respondent_profile"]).__name__
        'Figure'
        """
        from .figures import default_value_labels, pack_figures

        self._require("estimated", "figures")
        figs = pack_figures(self._estimates, None, self._weighted.report, lang=lang or self.settings.lang,
                            value_labels=default_value_labels(), municipality=self.municipality,
                            catalogue=self.catalogue, rules=self.settings.disclosure)
        if keys is not None:
            unknown = [k for k in keys if k not in figs]
            if unknown:
                raise NeedsAnalysisError(f"no figure {', '.join(map(repr, unknown))}", where="Survey.figures(keys=)",
                                         expected="one of " + ", ".join(figs), fix="check the figure key")
            figs = {k: figs[k] for k in keys}
        return figs

    def write_pack(self, out: str | Path | None = None, *, lang: str | None = None,
                   comparison: pd.DataFrame | None | bool = True, outputs=None) -> dict:
        """Write the report pack (figures, tables, report.html/.docx/.pdf, manifest) to ``out/<municipality>``.

        Parameters
        ----------
        out : str or Path, optional
            Folder that receives the pack folder; default ``settings.reports_dir``.
        lang : {"lt", "en"}, optional
            Pack language; default ``settings.lang``.
        comparison : DataFrame, bool or None
            The six-municipality comparison (figure 8, table 5). ``True``
            (default) computes it as the pipeline does, loading the other
            municipalities' exports from ``settings``; ``None`` or ``False``
            leaves figure 8 and table 5 out.
        outputs : collection of str, optional
            The output formats to write (default all; see
            :func:`needs_analysis.report.write_pack`).

        Returns
        -------
        dict
            The manifest (see :func:`needs_analysis.report.write_pack`).

        Notes
        -----
        With the packaged catalogue the pack has the change since the study's previous wave (figure 9, table
        5b) as ``needs-analysis run`` gives it (:func:`needs_analysis.pipeline.change_stage`).
        """
        self._require("estimated", "a report pack")
        lang = lang or self.settings.lang
        s = self.settings
        if comparison is True:
            comparison = pipeline.comparison_stage({self.municipality: self._weighted}, s, self.codebook)
        elif comparison is False:
            comparison = None
        parameters = pipeline.pack_parameters(s.with_(lang=lang), self.municipality)
        if self.load_options:
            parameters["load_options"] = {
                k: ({kk: (dict(vv) if isinstance(vv, Mapping) else vv) for kk, vv in v.items()}
                    if isinstance(v, Mapping) else v) for k, v in self.load_options.items()}
        raw_path = None if self.raw.path == DATAFRAME_PATH else self.raw.path
        return pipeline.pack_stage(self.municipality, raw_path, self._cleaned, self._weighted, self._estimates,
                                   comparison, s.with_(lang=lang), self.codebook, parameters=parameters,
                                   catalogue=self.catalogue, out_dir=out, outputs=outputs,
                                   change=None if self.catalogue is not None else pipeline.change_stage(
                                       self.municipality, self._estimates, self._weighted, s, self.codebook))

    def report(self, path: str | Path, *, lang: str | None = None,
               comparison: pd.DataFrame | None | bool = True) -> Path:
        """Write the Word report (``report.docx`` of the pack) to ``path``.

        The same document the pack's report.docx is: the same disclosure
        control and audit, the same writer (:data:`needs_analysis.report.OUTPUTS`,
        ``"docx"``), written through :meth:`write_pack` with only that output
        into a temporary folder and copied to ``path``.

        Parameters
        ----------
        path : str or Path
            The .docx file to write (its folder is created).
        lang : {"lt", "en"}, optional
            Report language; default ``settings.lang``.
        comparison : DataFrame, bool or None
            As in :meth:`write_pack`.

        Returns
        -------
        Path
            ``path``.
        """
        import shutil
        import tempfile

        target = Path(path)
        if target.suffix.lower() != ".docx":
            raise NeedsAnalysisError(f"not a .docx path: {target}", where="Survey.report(path=)",
                                     expected="a file name ending in .docx", fix=f"use {target.with_suffix('.docx')}")
        with tempfile.TemporaryDirectory() as tmp:
            self.write_pack(tmp, lang=lang, comparison=comparison, outputs=("docx",))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(tmp) / self.municipality / "report.docx", target)
        return target

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        return survey_text(self)

    def _repr_html_(self) -> str:
        return survey_html(self)


def _ordered_categories(data: pd.DataFrame, codebook: Codebook, *, keep_missing: bool) -> dict[str, pd.Categorical]:
    """The choice questions and derived groups of ``data`` as categoricals in the questionnaire's order.

    Don't-know and refused (the codebook's missing codes) become missing unless ``keep_missing``; then they
    are categories after the substantive ones. Codes the questionnaire does not list keep their place after
    those (sorted), so no answer is lost.
    """
    from .presentation import default_value_labels

    derived: dict[str, list[str]] = {}
    for var, code in default_value_labels(codebook, variables=("agegrp", "citgrp", "years_lt")):
        derived.setdefault(var, []).append(code)
    out = {}
    for name in data.columns:
        if name in derived:
            order = derived[name]
        elif name in codebook and codebook.variable(name).type == "select_one":
            order = list(codebook.substantive_codes(name))
            if keep_missing:
                order += [c for c in codebook.codes(name) if c not in order]
        else:
            continue
        col = data[name]
        values = col.astype(object).where(col.notna(), None)
        if not keep_missing:
            values = values.where(~values.isin(codebook.missing_codes), None)
        extra = sorted({str(v) for v in values.dropna()} - set(order))
        out[name] = pd.Categorical(values, categories=[*order, *extra])
    return out


def _frame_raw(frame: pd.DataFrame) -> RawFile:
    """A table in memory as a :class:`~needs_analysis.io.RawFile` (hashed like a file, path :data:`DATAFRAME_PATH`)."""
    if not isinstance(frame, pd.DataFrame):
        raise NeedsAnalysisError(f"load() got a {type(frame).__name__}", where="load()",
                                 expected="a municipality id or a pandas DataFrame of responses",
                                 fix="e.g. na.load('kaunas') or na.load(df, municipality='kaunas')", exit_code=2)
    data = frame.copy()
    data.columns = [str(c).strip() for c in data.columns]
    digest = hashlib.sha256("\x1f".join(data.columns).encode("utf-8"))
    digest.update(pd.util.hash_pandas_object(data.astype(str), index=False).to_numpy().tobytes())
    return RawFile(data, DATAFRAME_PATH, None, None, digest.hexdigest())


def load(
    what: str | pd.DataFrame,
    source: str | Path | None = None,
    *,
    municipality: str | None = None,
    settings: RunSettings | None = None,
    data_dir: str | Path | None = None,
    rename: Mapping[str, str] | None = None,
    recode: Mapping[str, Mapping] | None = None,
    sheet: str | int | None = None,
    wave: str | None = None,
) -> Survey:
    """Read a municipality's raw survey export (or a table of responses) and map it to the questionnaire's codes.

    Parameters
    ----------
    what : str or DataFrame
        A municipality id (vilnius, kaunas, klaipeda, siauliai, jonava,
        akmene), or the responses as a table in memory, in any layout a file
        may have (see :mod:`needs_analysis.harmonise`).
    source : str or Path, optional
        The export (.xlsx, .csv, .tsv, .sav, .dta); default
        ``<data_dir>/raw/<municipality>.*`` as in the pipeline.
    municipality : str, optional
        The municipality of a table given as ``what`` (default: the most
        common answer to the municipality question).
    settings : RunSettings, optional
        Paths and options for all later steps; default ``RunSettings()``
        (the repository's ``data/`` folder). ``settings.mapping_file`` maps
        a LimeSurvey export's own codes.
    data_dir : str or Path, optional
        Shortcut for ``settings.with_(data_dir=...)``.
    rename : dict, optional
        ``{column in the export: questionnaire name}``, for exports whose
        headers differ from the questionnaire's question names.
    recode : dict, optional
        ``{column: {answer as exported: code or label}}`` for answers in
        wordings the questionnaire does not know (after ``rename``).
    sheet : str or int, optional
        Workbook sheet (default: the sheet the questionnaire recognises).
    wave : str, optional
        Shortcut for ``settings.with_(wave=...)``: the study's wave (its folders, survey year and margins);
        default the latest.

    Returns
    -------
    Survey
        Stage ``"loaded"``.

    Raises
    ------
    NeedsAnalysisError
        Unknown municipality, missing or unreadable file, required columns
        missing (see :func:`needs_analysis.harmonise.harmonise`).

    Notes
    -----
    A file and a table take the same path: read (or wrapped as a
    :class:`~needs_analysis.io.RawFile`), ``rename``/``recode`` applied in
    memory, then :func:`needs_analysis.pipeline.harmonise_stage`, so they give
    the same codes as ``needs-analysis run``; :meth:`Survey.clean` applies
    the run's unmapped-answer check. The raw file is never modified;
    ``rename`` and ``recode`` are recorded in the manifest of
    :meth:`Survey.write_pack`.

    Examples
    --------
    >>> import needs_analysis as na
    >>> s = na.load("jonava")
    >>> s.municipality, s.stage
    ('jonava', 'loaded')
    >>> s.raw.path.name
    'jonava.xlsx'
    >>> t = na.load(s.raw.data, municipality="jonava")
    >>> t.harmonised.data.equals(s.harmonised.data)
    True
    """
    settings = _settings(settings, data_dir, wave)
    cb = load_codebook()
    table = not isinstance(what, str)
    mid = get_municipality(municipality if table else what).id if (municipality or not table) else None
    options = {k: v for k, v in (("source", source), ("rename", rename), ("recode", recode), ("sheet", sheet))
               if v is not None}
    if rename is not None:
        options["rename"] = MappingProxyType(dict(rename))
    if recode is not None:
        options["recode"] = MappingProxyType({k: MappingProxyType(dict(v)) for k, v in recode.items()})
    if table:
        raw = _frame_raw(what)
        options["source"] = "DataFrame"
        where = "DataFrame"
    else:
        path = Path(source) if source is not None else find_raw_file(settings.raw_dir, mid)
        raw = pipeline.read_stage(path, settings, cb, sheet=sheet)
        where = str(path)
        if "source" in options:
            options["source"] = str(path)
    frame = raw.data
    if rename:
        missing = [c for c in rename if c not in frame.columns]
        if missing:
            raise NeedsAnalysisError(f"rename names column(s) {', '.join(map(repr, missing))}, which the export "
                                     "does not have", where=where, expected="columns of the export",
                                     fix="check the headers with na.io.read_raw(path).data.columns")
        frame = frame.rename(columns=dict(rename))
    if recode:
        frame = _recode_raw(frame, recode, where)
    if frame is not raw.data:
        raw = dataclasses.replace(raw, data=frame)
    harmonised = pipeline.harmonise_stage(raw, settings, cb, source=where)
    if mid is None:
        from .validate import guess_municipality

        try:
            mid = guess_municipality(DATAFRAME_PATH, harmonised)
        except NeedsAnalysisError as err:
            raise NeedsAnalysisError(err.message, where="load(DataFrame)", expected=err.expected,
                                     fix="pass municipality=", exit_code=2) from None
    return Survey(mid, settings, cb, raw, harmonised, load_options=MappingProxyType(options))
