"""Command-line interface: a thin Typer layer over :mod:`needs_analysis.pipeline` (and :mod:`~needs_analysis.microdata`).

User mistakes (:class:`~needs_analysis.errors.NeedsAnalysisError`) and
operating-system errors (permission denied, disk full...) become a one-line
message on stderr and a non-zero exit code (2 for a bad command-line
argument), never a traceback. SIGINT (Ctrl-C) and SIGTERM stop a command
cleanly: "interrupted" on stderr, exit code 130 or 143 (see
:mod:`needs_analysis._signals`).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from ._atomic import os_error
from ._signals import Interrupted, stop_on_signals
from .errors import NeedsAnalysisError


def _interrupted(exc: Interrupted) -> int:
    typer.echo(f"interrupted ({signal.Signals(exc.signum).name}); unfinished outputs were discarded", err=True)
    return exc.exit_code


class _App(typer.Typer):
    """The Typer app; run as a program (the console script), it stops cleanly on SIGINT and SIGTERM from the start.

    The handlers are in place before the command's modules are imported and its arguments parsed; the commands
    install them again (:func:`_guard`) for callers that invoke the command directly (``typer.testing``).
    """

    def __call__(self, *args, **kwargs):
        try:
            with stop_on_signals():
                return super().__call__(*args, **kwargs)
        except Interrupted as exc:
            sys.exit(_interrupted(exc))


app = _App(
    name="needs-analysis",
    help=(
        "Needs-assessment surveys of third-country nationals in Lithuanian municipalities: "
        "load the raw survey exports, clean them (with a cleaning log), weight them to population "
        "margins, estimate needs indicators with design-based confidence intervals and write one "
        "report pack (figures, Excel tables, report.html) per municipality.\n\n"
        "Start with:  needs-analysis run --municipality all   (uses the synthetic demo data in data/)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain (click) help: wrapped at the terminal's width (120 columns at most) and never cut, so a long default
    # is shown whole on a narrow terminal too; flags without a "<bool>" placeholder
    rich_markup_mode=None,
    context_settings={"max_content_width": 120, "help_option_names": ["--help", "-h"]},
)


def _version(value: bool) -> None:
    if value:
        from ._version import __version__

        typer.echo(f"needs-analysis {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Print the version and exit.")] = None,
) -> None:
    """Needs-assessment surveys of third-country nationals: raw exports to report packs."""


_MAPPING_HELP = ("Mapping of the export's own codes to the questionnaire's names: the LimeSurvey survey's "
                 ".lss structure file or a two-column csv (export,questionnaire); see docs/bringing-data.md.")
_WAVE_HELP = "Survey wave of the study (study.toml in the data folder; default: the latest)."
_UNMAPPED_HELP = ("Largest share of a select_one question's answers that may match no choice of the "
                  "questionnaire (default 0.01); more stops the run.")


def _fail(err: NeedsAnalysisError) -> None:
    typer.echo(f"error: {err.one_line()}", err=True)
    raise typer.Exit(code=err.exit_code)


@contextmanager
def _guard() -> Iterator[None]:
    """Run a command's body: errors and signals end it with one line on stderr and their exit code."""
    try:
        with stop_on_signals():
            yield
    except Interrupted as exc:
        raise typer.Exit(code=_interrupted(exc)) from None
    except NeedsAnalysisError as err:
        _fail(err)
    except OSError as exc:  # last resort: the writers and readers turn the ones they expect into NeedsAnalysisError
        _fail(os_error(exc))


def _check_out(out: Path, what: str = "the report packs", example: str = "reports") -> None:
    """``--out`` must be a folder or a path that can become one (no file on the way)."""
    existing = next((p for p in (out, *out.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise NeedsAnalysisError(f"{existing} is a file, not a folder", where=f"--out {out}",
                                 expected=f"a folder for {what} (created when missing)",
                                 fix=f"name a folder, e.g. --out {example}", exit_code=2)


def _trim_option(text: str | None) -> float | str | None:
    """``--trim`` as the settings take it (a number, or text such as "250abs"), checked now."""
    from .weighting import parse_trim

    if text is None:
        return None
    value = float(text) if text.replace(".", "", 1).isdigit() else text
    try:
        parse_trim(value)
    except NeedsAnalysisError as err:
        raise NeedsAnalysisError(err.message, where="--trim", expected=err.expected, exit_code=2,
                                 fix="e.g. --trim 5 (5 times the median weight) or --trim 250abs") from None
    return value


def _rake_option(text: str, margins_path: Path) -> tuple[str, ...]:
    """``--rake`` as a tuple of variables, each with margins in the margins file."""
    from .weighting import read_margins

    variables = tuple(v.strip() for v in text.split(",") if v.strip())
    if not variables:
        raise NeedsAnalysisError("no weighting variable given", where="--rake",
                                 expected="e.g. sex,agegrp,citgrp", exit_code=2)
    known = list(dict.fromkeys(read_margins(margins_path)["variable"]))
    unknown = [v for v in dict.fromkeys(variables) if v not in known]
    if unknown or len(set(variables)) < len(variables):
        found = (f"no margins for {', '.join(map(repr, unknown))} in {margins_path.name}" if unknown
                 else f"a variable is given twice in {text!r}")
        raise NeedsAnalysisError(found, where="--rake", expected="distinct variables of the margins file: "
                                 + ", ".join(known), fix="e.g. --rake sex,agegrp,citgrp", exit_code=2)
    return variables


@app.command()
def run(
    municipality: Annotated[str, typer.Option("--municipality", "-m",
                                              help="Municipality id (`needs-analysis municipalities` lists them) or 'all' (every municipality of the wave).")] = "all",
    lang: Annotated[str, typer.Option("--lang", help="Language of the report pack: lt or en.")] = "lt",
    data_dir: Annotated[Optional[Path], typer.Option("--data-dir", help="Folder with study.toml (optional) and the waves' raw/, reference/, processed/ (default: ./data).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Folder for the report packs (default: reports/ beside the data folder).")] = None,
    margins: Annotated[Optional[Path], typer.Option("--margins", help="Population margins CSV (default: the wave's reference/population_margins.csv).")] = None,
    rake: Annotated[Optional[str], typer.Option("--rake", help="Comma-separated weighting variables with margins in the margins file (default: the study's raking_variables; without study.toml: sex, agegrp, citgrp, permit_grounds, years_lt).")] = None,
    weight_method: Annotated[str, typer.Option("--weight-method", help="rake, linear, logit or poststratify.")] = "rake",
    trim: Annotated[Optional[str], typer.Option("--trim", help="Cap the weights: a multiple of the median (e.g. 5) or an absolute cap (e.g. 250abs).")] = None,
    normalise: Annotated[bool, typer.Option("--normalise/--no-normalise", help="Scale margins whose totals differ to a common total instead of stopping.")] = False,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1,
                                                help="Worker processes (default: one per core; 1: no workers). The output is the same for any number.")] = None,
    mapping: Annotated[Optional[Path], typer.Option("--mapping", help=_MAPPING_HELP)] = None,
    max_unmapped: Annotated[float, typer.Option("--max-unmapped", min=0.0, max=1.0, help=_UNMAPPED_HELP)] = 0.01,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="Workbook sheet with the responses, name or 0-based number (default: found by its header).")] = None,
    wave: Annotated[Optional[str], typer.Option("--wave", help=_WAVE_HELP)] = None,
    cache: Annotated[bool, typer.Option("--cache/--no-cache", help="Take the other municipalities of the comparison from the prepared stages of an earlier run when their inputs are unchanged (processed/<wave>/.cache; the packs are the same); --no-cache prepares every one again and keeps nothing.")] = True,
) -> None:
    """Build the report pack of one municipality (or all of a wave's) from its raw survey export."""
    with _guard():
        from .config import RunSettings
        from .municipalities import resolve_municipalities
        from .pipeline import STAGES, run as run_pipeline
        from .weighting import WEIGHT_METHODS

        if lang not in ("lt", "en"):
            raise NeedsAnalysisError(f"unknown language {lang!r}", where="--lang", expected="lt or en", exit_code=2)
        settings = RunSettings(lang=lang, jobs=jobs, max_unmapped=max_unmapped, mapping_file=mapping,
                               sheet=sheet, **({"data_dir": data_dir} if data_dir is not None else {}), wave=wave,
                               cache=cache)
        targets = resolve_municipalities(municipality, settings.municipalities)
        if mapping is not None:
            from .codebook import load_codebook
            from .harmonise import read_mapping

            read_mapping(mapping, load_codebook())  # a bad mapping file is a usage error, before any work
        if out is not None:
            _check_out(out)
            settings = settings.with_(out_dir=out)
        if margins is not None:
            settings = settings.with_(margins_file=margins)
        if weight_method not in WEIGHT_METHODS:
            raise NeedsAnalysisError(f"unknown weighting method {weight_method!r}", where="--weight-method",
                                     expected="rake, linear, logit or poststratify", exit_code=2)
        settings = settings.with_(weight_method=weight_method, normalise=normalise, trim=_trim_option(trim))
        if rake is not None:
            settings = settings.with_(rake_variables=_rake_option(rake, settings.margins_path))
        if quiet:
            results = run_pipeline(municipality, settings)
        else:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                          transient=False) as progress:
                steps = len(targets) * len(STAGES) + 1  # + the comparison of the wave's municipalities
                task = progress.add_task("starting", total=steps)
                started = []

                counted = {m.id for m in targets} | {"all"}  # not the municipalities read only for the comparison

                def on_stage(mid: str, stage: str) -> None:
                    # a stage starting means the previous one has finished
                    step = mid in counted
                    progress.update(task, description=f"{mid}: {stage}", advance=1 if step and started else 0)
                    if step:
                        started.append(stage)

                results = run_pipeline(municipality, settings, on_stage=on_stage)
                progress.update(task, completed=steps, description="done")
        for res in results:
            n = int(res.weighted.report["summary"]["n"].iloc[0])
            typer.echo(f"{res.municipality}: {n} respondents analysed -> {settings.reports_dir / res.municipality}")
    for res in results:  # outputs this machine could not write (e.g. report.pdf without WeasyPrint), one line each
        for name, note in res.manifest.get("skipped", {}).items():
            typer.echo(f"{res.municipality}: {name}: {note}", err=True)
    from .harmonise import unmapped_lines

    with_unmapped = [res for res in results if res.unmapped is not None and len(res.unmapped)]
    if not with_unmapped:
        typer.echo("unmapped answers: none")
    for res in with_unmapped:
        typer.echo("\n".join(unmapped_lines(res.unmapped, res.municipality)))


@app.command("demo-data")
def demo_data(
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives byte-identical files.")] = 2021,
    data_dir: Annotated[Optional[Path], typer.Option("--data-dir", help="Where to write raw/ and reference/ (default: ./data).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Write even over files that are not demo output (your exports, margins...); without it such files stop the command.")] = False,
) -> None:
    """(Re)generate the synthetic demo population, survey exports and margins.

    Writes only where raw/ holds no survey export of yours, and replaces only files demo-data wrote itself
    (recorded with their sha256 in reference/demo_manifest.json); anything else needs --force.
    """
    with _guard():
        from . import synthetic
        from .config import default_data_dir

        target = data_dir or default_data_dir()
        foreign = synthetic.demo_foreign_files(target)
        if foreign and force:
            typer.echo(f"--force: writing over or beside {len(foreign)} file(s) that are not demo output: "
                       + ", ".join(foreign), err=True)
        paths = synthetic.write_demo_waves(target, seed=seed, force=force)
        typer.echo(f"wrote {len(paths)} files under {target}")


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="Raw survey export: .xlsx, .csv, .tsv, .sav or .dta.")],
    municipality: Annotated[Optional[str], typer.Option("--municipality", "-m",
                                                        help="Municipality id (default: from the file name or the answers).")] = None,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="Workbook sheet name or 0-based number (default: found by its header).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Folder for cleaning_log.csv/.xlsx (default: data/processed/validation/<file name>).")] = None,
    margins: Annotated[Optional[Path], typer.Option("--margins", help="Also check this population margins CSV.")] = None,
    speeder_share: Annotated[float, typer.Option("--speeder-share", help="Speeders: faster than this share of the median duration.")] = 0.3,
    mapping: Annotated[Optional[Path], typer.Option("--mapping", help=_MAPPING_HELP)] = None,
    max_unmapped: Annotated[float, typer.Option("--max-unmapped", min=0.0, max=1.0, help=_UNMAPPED_HELP)] = 0.01,
    wave: Annotated[Optional[str], typer.Option("--wave", help=_WAVE_HELP + " Its year sets ages and eligibility.")] = None,
) -> None:
    """Check a raw export without changing it: run every cleaning check, print a summary, write the log.

    Exits 1 when something blocks the analysis (unreadable file, missing columns, no respondent left...).
    """
    from rich.console import Console
    from rich.table import Table

    from .config import RunSettings
    from .validate import validate_file

    with _guard():
        settings = RunSettings(wave=wave)
        out_dir = out if out is not None else settings.processed_dir / "validation" / file.stem
        rep = validate_file(file, municipality, sheet=sheet, out_dir=out_dir, margins=margins,
                            speeder_share=speeder_share, mapping=mapping, max_unmapped=max_unmapped,
                            survey_year=settings.survey_year)
    console = Console(width=120, soft_wrap=True)
    where = rep.path.name + (f", sheet {rep.raw.sheet!r}" if rep.raw.sheet else "") + \
        (f", encoding {rep.raw.encoding}" if rep.raw.encoding else "")
    console.print(f"{where}: municipality {rep.municipality}, {rep.result.n_received} records received, "
                  f"{len(rep.result.data)} kept", markup=False)
    for line in rep.harmonised.report:
        console.print(line, markup=False, highlight=False)
    acc = Table(title="Row accounting", show_lines=False)
    for col in ("step", "reason", "n"):
        acc.add_column(col, justify="right" if col == "n" else "left")
    for row in rep.result.summary.itertuples(index=False):
        if row.step in ("received", "removed", "kept"):
            acc.add_row(row.step, str(row.reason), str(row.n))
    console.print(acc)
    if len(rep.checks):
        checks = Table(title="Cleaning log by check", show_lines=False)
        for col in ("check", "action", "n", "what"):
            checks.add_column(col, justify="right" if col == "n" else "left")
        for row in rep.checks.itertuples(index=False):
            checks.add_row(row.check_id, row.action, str(row.n), row.description)
        console.print(checks)
    found = rep.identifiers[rep.identifiers["n"] > 0]
    removed = found[found["kind"] != "review"]
    if len(removed):
        ids = ", ".join(f"{r.column} ({r.kind}, {r.n})" for r in removed.itertuples(index=False))
        console.print(f"direct identifiers found (never written to processed data or reports): {ids}", markup=False)
    review = found[found["kind"] == "review"]
    if len(review):
        ids = ", ".join(f"{r.column} ({r.detail}, {r.n})" for r in review.itertuples(index=False))
        console.print(f"questions that may identify a person (kept for the analysis; never publish them at "
                      f"respondent level): {ids}", markup=False)
    for p in rep.log_paths:
        console.print(f"cleaning log: {p}", markup=False)
    from .harmonise import unmapped_lines

    for line in unmapped_lines(rep.harmonised.unmapped_summary):
        console.print(line, markup=False, highlight=False)
    if rep.blocking:
        _fail(NeedsAnalysisError("analysis blocked: " + "; ".join(rep.blocking), where=str(rep.path),
                                 fix="see the cleaning log"))


@app.command()
def export(
    municipality: Annotated[str, typer.Option("--municipality", "-m",
                                              help="Municipality id (`needs-analysis municipalities` lists them) or 'all' (one pooled file of the wave's municipalities).")] = "all",
    format: Annotated[str, typer.Option("--format", "-f", help="Comma-separated: sav, dta, csv, parquet.")] = "sav,dta,csv,parquet",
    lang: Annotated[str, typer.Option("--lang", help="Language of the labels: lt or en.")] = "lt",
    public: Annotated[bool, typer.Option("--public", help="Write the public-use file (k-anonymous keys, no identifiers or free text) and its disclosure report.")] = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Exports folder (default: exports/ beside the data folder).")] = None,
    data_dir: Annotated[Optional[Path], typer.Option("--data-dir", help="Folder with processed/ from `needs-analysis run` (default: ./data).")] = None,
    wave: Annotated[Optional[str], typer.Option("--wave", help=_WAVE_HELP)] = None,
) -> None:
    """Write the clean weighted respondents for SPSS, Stata and R, with a data dictionary and the survey design.

    Reads the wave's processed/<municipality>/responses.parquet of an earlier `needs-analysis run`.
    """
    with _guard():
        from .config import RunSettings
        from .microdata import export as export_microdata, parse_formats
        from .municipalities import resolve_municipalities

        formats = parse_formats(format)
        if lang not in ("lt", "en"):
            raise NeedsAnalysisError(f"unknown language {lang!r}", where="--lang", expected="lt or en", exit_code=2)
        if municipality.strip().lower() != "all":
            resolve_municipalities(municipality)
        if out is not None:
            _check_out(out, "the exports", "exports")
        settings = RunSettings(wave=wave, **({"data_dir": data_dir} if data_dir is not None else {}))
        res = export_microdata(municipality, formats, lang=lang, public=public, out_dir=out, settings=settings)
    typer.echo(f"{res.municipality}: {res.records} respondents -> {res.folder} ({', '.join(res.files)})")
    if res.disclosure is not None:
        before, after = res.disclosure["risk_before"], res.disclosure["risk_after"]
        typer.echo(f"k = {res.disclosure['k']}: {after['violating_k']} records violate it (before: "
                   f"{before['violating_k']}); expected re-identifications {before['expected_reidentifications']:.2f} "
                   f"-> {after['expected_reidentifications']:.2f}; {res.disclosure['key_values_suppressed']} key values "
                   f"suppressed")


@app.command()
def municipalities(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (one object per municipality) instead of a table.")] = False,
) -> None:
    """List Lithuania's 60 municipalities: the ids --municipality and study.toml take, official codes and names."""
    from .municipalities import all_municipalities

    rows = all_municipalities()
    if as_json:
        import json

        typer.echo(json.dumps([{"id": m.id, "code": m.code, "kind": m.kind, "name_lt": m.name_lt,
                                "genitive_lt": m.genitive_lt, "name_en": m.name_en, "short_lt": m.short_lt,
                                "short_en": m.short_en} for m in rows], ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(rows)} municipalities (ids for --municipality and study.toml)")
    for col, justify in (("id", "left"), ("code", "right"), ("name (lt)", "left"), ("name (en)", "left")):
        table.add_column(col, justify=justify)
    for m in rows:
        table.add_row(m.id, str(m.code), m.name_lt, m.name_en)
    Console(width=120).print(table)


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="needs-analysis")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
