"""Command-line interface: a thin Typer layer over :mod:`needs_analysis.pipeline`.

User mistakes (:class:`~needs_analysis.errors.NeedsAnalysisError`) become a
one-line message on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .errors import NeedsAnalysisError
from .municipalities import MUNICIPALITY_IDS

app = typer.Typer(
    name="needs-analysis",
    help=(
        "Needs-assessment surveys of third-country nationals in six Lithuanian municipalities: "
        "load the raw survey exports, clean them (with a cleaning log), weight them to population "
        "margins, estimate needs indicators with design-based confidence intervals and write one "
        "report pack (figures, Excel tables, report.html) per municipality.\n\n"
        "Start with:  needs-analysis run --municipality all   (uses the synthetic demo data in data/)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(err: NeedsAnalysisError) -> None:
    typer.echo(f"error: {err.one_line()}", err=True)
    raise typer.Exit(code=err.exit_code)


@app.command()
def run(
    municipality: Annotated[str, typer.Option("--municipality", "-m",
                                              help="Municipality id (" + ", ".join(MUNICIPALITY_IDS) + ") or 'all'.")] = "all",
    lang: Annotated[str, typer.Option("--lang", help="Language of the report pack: lt or en.")] = "lt",
    data_dir: Annotated[Optional[Path], typer.Option("--data-dir", help="Folder with raw/, reference/, processed/ (default: ./data).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Folder for the report packs (default: reports/ beside the data folder).")] = None,
    margins: Annotated[Optional[Path], typer.Option("--margins", help="Population margins CSV (default: data/reference/population_margins.csv).")] = None,
    rake: Annotated[Optional[str], typer.Option("--rake", help="Comma-separated weighting variables with margins in the margins file (default: sex,agegrp,citgrp,permit_grounds,years_lt).")] = None,
    weight_method: Annotated[str, typer.Option("--weight-method", help="rake, linear, logit or poststratify.")] = "rake",
    trim: Annotated[Optional[str], typer.Option("--trim", help="Cap the weights: a multiple of the median (e.g. 5) or an absolute cap (e.g. 250abs).")] = None,
    normalise: Annotated[bool, typer.Option("--normalise", help="Scale margins whose totals differ to a common total instead of stopping.")] = False,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1,
                                                help="Worker processes (default: one per core; 1: no workers). The output is the same for any number.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="Workbook sheet with the responses, name or 0-based number (default: found by its header).")] = None,
) -> None:
    """Build the report pack of one municipality (or all six) from its raw survey export."""
    from .config import RunSettings
    from .municipalities import resolve_municipalities
    from .pipeline import STAGES, run as run_pipeline
    from .weighting import WEIGHT_METHODS

    try:
        if lang not in ("lt", "en"):
            raise NeedsAnalysisError(f"unknown language {lang!r}", where="--lang", expected="lt or en", exit_code=2)
        targets = resolve_municipalities(municipality)
        settings = RunSettings(lang=lang, jobs=jobs, sheet=sheet)
        if data_dir is not None:
            settings = settings.with_(data_dir=data_dir)
        if out is not None:
            settings = settings.with_(out_dir=out)
        if margins is not None:
            settings = settings.with_(margins_file=margins)
        if weight_method not in WEIGHT_METHODS:
            raise NeedsAnalysisError(f"unknown weighting method {weight_method!r}", where="--weight-method",
                                     expected="rake, linear, logit or poststratify", exit_code=2)
        settings = settings.with_(weight_method=weight_method, normalise=normalise,
                                  trim=(float(trim) if trim is not None and trim.replace(".", "", 1).isdigit()
                                        else trim))
        if rake is not None:
            variables = tuple(v.strip() for v in rake.split(",") if v.strip())
            if not variables:
                raise NeedsAnalysisError("no weighting variable given", where="--rake",
                                         expected="e.g. sex,agegrp,citgrp", exit_code=2)
            settings = settings.with_(rake_variables=variables)
        if quiet:
            results = run_pipeline(municipality, settings)
        else:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                          transient=False) as progress:
                steps = len(targets) * len(STAGES) + 1  # + the comparison of the six municipalities
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
    except NeedsAnalysisError as err:
        _fail(err)
        return
    for res in results:
        n = int(res.weighted.report["summary"]["n"].iloc[0])
        typer.echo(f"{res.municipality}: {n} respondents analysed -> {settings.reports_dir / res.municipality}")


@app.command("demo-data")
def demo_data(
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives byte-identical files.")] = 2021,
    data_dir: Annotated[Optional[Path], typer.Option("--data-dir", help="Where to write raw/ and reference/ (default: ./data).")] = None,
) -> None:
    """(Re)generate the synthetic demo population, survey exports and margins."""
    from . import synthetic
    from .config import default_data_dir

    target = data_dir or default_data_dir()
    try:
        paths = synthetic.write_demo_data(target, seed=seed)
    except NeedsAnalysisError as err:
        _fail(err)
        return
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
) -> None:
    """Check a raw export without changing it: run every cleaning check, print a summary, write the log.

    Exits 1 when something blocks the analysis (unreadable file, missing columns, no respondent left...).
    """
    from rich.console import Console
    from rich.table import Table

    from .config import default_data_dir
    from .validate import validate_file

    try:
        out_dir = out if out is not None else default_data_dir() / "processed" / "validation" / file.stem
        rep = validate_file(file, municipality, sheet=sheet, out_dir=out_dir, margins=margins,
                            speeder_share=speeder_share)
    except NeedsAnalysisError as err:
        _fail(err)
        return
    console = Console(width=120, soft_wrap=True)
    where = rep.path.name + (f", sheet {rep.raw.sheet!r}" if rep.raw.sheet else "") + \
        (f", encoding {rep.raw.encoding}" if rep.raw.encoding else "")
    console.print(f"{where}: municipality {rep.municipality}, {rep.result.n_received} records received, "
                  f"{len(rep.result.data)} kept")
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
    if len(rep.harmonised.unmapped):
        um = rep.harmonised.unmapped_counts
        top = "; ".join(f"{r.variable}: {r.value!r} ({r.n})" for r in um.head(5).itertuples(index=False))
        console.print(f"unmapped answers: {int(um['n'].sum())} in {um['variable'].nunique()} question(s), "
                      f"e.g. {top}")
    found = rep.identifiers[rep.identifiers["n"] > 0]
    if len(found):
        ids = ", ".join(f"{r.column} ({r.kind}, {r.n})" for r in found.itertuples(index=False))
        console.print(f"direct identifiers found (never written to processed data or reports): {ids}")
    for p in rep.log_paths:
        console.print(f"cleaning log: {p}")
    if rep.blocking:
        _fail(NeedsAnalysisError("analysis blocked: " + "; ".join(rep.blocking), where=str(rep.path),
                                 fix="see the cleaning log"))


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="needs-analysis")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
