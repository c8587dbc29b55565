"""`company-risk`: one Typer app, one subcommand per stage of the data flow.

The commands are thin: they read `params.yaml` into typed config, resolve paths (options default
to the config's paths, so any of them can be overridden from the shell), call the stage's pure
functions, and do the reading and writing. The clock is read only here (`daily`, default dates).
Heavy libraries are imported inside the commands so `company-risk --help` stays instant.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from company_risk import artifacts, stagelog
from company_risk.config import Params, ProjectPaths, load_params
from company_risk.errors import CompanyRiskError
from company_risk.lock import project_lock

app = typer.Typer(
    name="company-risk",
    help="Predict which Estonian companies default in the next 12 months.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class Context:
    """What every command needs: the project's paths and its parameters."""

    def __init__(self, root: Path, params_file: Path | None, lock_wait_s: float = 0.0):
        self.paths = ProjectPaths(root.resolve())
        self.lock_wait_s = lock_wait_s  # how long a writing command waits for the project lock
        self.params_file = params_file or self.paths.params
        self._params: Params | None = None

    @property
    def params(self) -> Params:
        if self._params is None:
            self._params = load_params(self.params_file)
        return self._params


_ctx: Context | None = None


def ctx() -> Context:
    assert _ctx is not None, "the app callback sets the context"
    return _ctx


@app.callback()
def main(
    project_dir: Annotated[
        Path, typer.Option(help="Project root (holds params.yaml, data/, models/, reports/).")
    ] = Path("."),
    params_file: Annotated[
        Path | None, typer.Option("--params", help="Parameters file (default: params.yaml).")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    wait: Annotated[
        float,
        typer.Option(
            min=0,
            metavar="SECONDS",
            help="How long a command that writes waits for another one to release the "
            "project lock (default 0: refuse at once, naming the holder).",
        ),
    ] = 0.0,
) -> None:
    global _ctx
    stagelog.configure(verbose)
    # MLflow draws one progress bar per artifact it downloads; the report reads hundreds, and
    # the stage logs say what was read
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    _ctx = Context(project_dir, params_file, wait)


keys_app = typer.Typer(
    help="API keys of `serve`: add, list, revoke (only a hash of each key is stored).",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")


def command(fn=None, *, writes: bool | None = None, group: typer.Typer | None = None):
    """A subcommand whose named failures (`CompanyRiskError`) end as one line on stderr and
    exit code 2; any other exception is a bug and keeps its traceback.

    Every command declares whether it writes: `@command(writes=True)` runs the whole command
    under the project lock (`lock.project_lock`, waiting up to `--wait` seconds for another
    writing command to finish); `@command(writes=False)` (listings, look-ups) takes no lock."""
    if fn is not None or writes is None:
        raise TypeError("declare each command with @command(writes=True) or @command(writes=False)")

    def register(fn):
        name = fn.__name__.strip("_").replace("_", "-")  # `list_` is `list`

        def checked(*args, **kwargs):
            _ = ctx().params  # params.yaml is read and checked before the command does any work
            return fn(*args, **kwargs)

        @functools.wraps(fn)
        def run(*args, **kwargs):
            try:
                if not writes:
                    return checked(*args, **kwargs)
                argv = shlex.join(sys.argv)
                c = ctx()
                with project_lock(c.paths.root, f"company-risk {name}", argv, c.lock_wait_s):
                    return checked(*args, **kwargs)
            except CompanyRiskError as exc:
                raise _fail(str(exc)) from exc

        return (group or app).command(name)(run)

    return register


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=2)


def _parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise _fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from exc


# ----------------------------------------------------------------------------------- synth
@command(writes=True)
def synth(
    out: Annotated[
        Path | None, typer.Option(help="Where dated drops go (default data/raw).")
    ] = None,
    truth: Annotated[Path | None, typer.Option(help="Where the world's truth goes.")] = None,
    n_companies: Annotated[int | None, typer.Option(help="Companies ever born.")] = None,
    seed: Annotated[int | None, typer.Option()] = None,
    start: Annotated[str | None, typer.Option(help="First monthly drop, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option(help="Last monthly drop, YYYY-MM-DD.")] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            help="Also write the world statistics here as JSON (the pipeline's synth stage "
            "passes reports/world.json). Default: printed only."
        ),
    ] = None,
) -> None:
    """Simulate the embedded synthetic register and write it as dated drops of the real files.

    Writes to --out and --truth only, and the world statistics to --report when it is given, so
    a world simulated elsewhere leaves the pipeline's reports/ as they were."""
    import dataclasses

    from company_risk.atomic import write_json
    from company_risk.synth.drops import write_drops
    from company_risk.synth.simulate import simulate
    from company_risk.synth.truth import world_stats, write_truth

    c = ctx()
    cfg = c.params.synth
    overrides = {
        "n_companies": n_companies,
        "seed": seed,
        "start": _parse_date(start, "--start"),
        "end": _parse_date(end, "--end"),
    }
    cfg = dataclasses.replace(cfg, **{k: v for k, v in overrides.items() if v is not None})
    out = out or c.paths.raw
    truth = truth or c.paths.truth
    with stagelog.stage("synth") as log:
        log.info(
            "simulating %d companies, %s .. %s, seed %d",
            cfg.n_companies,
            cfg.start,
            cfg.end,
            cfg.seed,
        )
        world = simulate(cfg)
        drops = write_drops(world, out)
        log.info("wrote %d drops to %s", len(drops), stagelog.describe(out))
        write_truth(world, truth)
        log.info("wrote truth to %s", stagelog.describe(truth))
        stats = world_stats(world)
        if report is not None:
            write_json(stats, report)
            log.info("wrote %s", report)
    for key, value in stats.items():
        typer.echo(f"{key}: {value}")


# ---------------------------------------------------------------------------------- ingest
@command(writes=True)
def ingest(
    raw: Annotated[Path | None, typer.Option(help="Dated drops (default data/raw).")] = None,
    out: Annotated[Path | None, typer.Option(help="History tables (default data/interim).")] = None,
    until: Annotated[str | None, typer.Option(help="Apply drops dated <= this date only.")] = None,
    accept_mass_change: Annotated[
        bool,
        typer.Option(
            help="Apply a drop even if it ends more of the history than "
            "ingest.max_vanished_share / max_ended_roles_share allow (logged)."
        ),
    ] = False,
) -> None:
    """Parse and validate every new drop and update the history tables."""
    from company_risk.ingest import ingest_drops, pseudonym_key

    c = ctx()
    raw = raw or c.paths.raw
    out = out or c.paths.interim
    with stagelog.stage("ingest") as log:
        key = pseudonym_key(c.params.ingest, c.paths.root)
        result = ingest_drops(
            raw,
            out,
            c.params.ingest,
            key,
            until=_parse_date(until, "--until"),
            accept_mass_change=accept_mass_change,
        )
        log.info(
            "read %s; applied %d new drop(s), %d already applied; %d files read, "
            "%d rows rejected; not recognised: %s",
            raw,
            len(result.applied),
            len(result.skipped),
            result.files_read,
            result.rejected_rows,
            ", ".join(result.not_recognised) or "none",
        )
        log.info("wrote %s", stagelog.describe(out))


# -------------------------------------------------------------------------------- features
@command(writes=True)
def features(
    interim: Annotated[
        Path | None, typer.Option(help="History tables (default data/interim).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default data/processed).")
    ] = None,
    date: Annotated[
        str | None, typer.Option(help="One snapshot date (scoring mode, no label).")
    ] = None,
    catalogue: Annotated[Path | None, typer.Option(help="Feature catalogue markdown.")] = None,
) -> None:
    """Point-in-time features and 12-month labels at each snapshot date."""
    from company_risk.atomic import write_parquet, write_text
    from company_risk.features.build import build_features, training_snapshot_dates
    from company_risk.features.catalogue import catalogue_markdown
    from company_risk.features.graph import sparse_signal_warning
    from company_risk.features.tables import load_interim

    c = ctx()
    interim = interim or c.paths.interim
    out = out or c.paths.processed
    catalogue = catalogue or c.paths.feature_catalogue
    snapshot = _parse_date(date, "--date")
    with stagelog.stage("features") as log:
        cfg = c.params.features
        tables = load_interim(interim)
        log.info("read %s", stagelog.describe(interim))
        dates = [snapshot] if snapshot else training_snapshot_dates(tables, cfg)
        table = build_features(tables, dates, cfg, with_label=snapshot is None)
        sparse = [
            m for t, rows in table.groupby("snapshot_date") if (m := sparse_signal_warning(rows, t))
        ]
        if sparse:  # one line, not one per snapshot: it is the same finding
            log.warning(
                "%s (and at %d more of %d snapshots)", sparse[-1], len(sparse) - 1, len(dates)
            )
        target = write_parquet(table, out / artifacts.FEATURES_FILE)
        log.info(
            "wrote %s: %d rows, %d snapshots", stagelog.describe(target), len(table), len(dates)
        )
        write_text(catalogue_markdown(), catalogue)
        log.info("wrote %s", catalogue)


# ----------------------------------------------------------------------------------- train
@command(writes=True)
def train(
    features_path: Annotated[
        Path | None, typer.Option("--features", help="features.parquet.")
    ] = None,
    truth: Annotated[
        Path | None, typer.Option(help="The world's truth, for the oracle gap.")
    ] = None,
) -> None:
    """Train the model x feature-set grid, track it in MLflow, and update challenger/champion."""
    from company_risk.train.run import run_training

    c = ctx()
    features_path = features_path or c.paths.features_table
    truth = truth or c.paths.truth
    with stagelog.stage("train"):
        run_training(
            features_path=features_path,
            truth_dir=truth if truth.exists() else None,
            params=c.params,
            params_file=c.params_file,
            paths=c.paths,
            tracking_uri=c.paths.tracking_uri(os.environ),
        )


# ---------------------------------------------------------------------------------- report
@command(writes=True)
def report(
    out: Annotated[
        Path | None, typer.Option(help="Folder of the report files (default reports/).")
    ] = None,
    features_path: Annotated[
        Path | None, typer.Option("--features", help="features.parquet.")
    ] = None,
    scores: Annotated[Path | None, typer.Option(help="Daily scores (default data/scores).")] = None,
    generated_on: Annotated[
        str | None,
        typer.Option(
            help="Date printed on the report (default: the newest drop or scored day, so the "
            "report depends on its inputs only)."
        ),
    ] = None,
) -> None:
    """Write the auditor report (model_comparison.html and .md) from MLflow and the pipeline's outputs."""
    import dataclasses

    from company_risk.report.build import write_report
    from company_risk.report.collect import ReportSources

    c = ctx()
    day = _parse_date(generated_on, "--generated-on")
    sources = ReportSources.from_paths(c.paths, c.params_file, c.paths.tracking_uri(os.environ))
    overrides = {"features": features_path, "scores": scores}
    sources = dataclasses.replace(sources, **{k: v for k, v in overrides.items() if v is not None})
    out = out or c.paths.reports
    with stagelog.stage("report") as log:
        written = write_report(sources, c.params, day.isoformat() if day else None, out)
        for path in written:
            log.info("wrote %s", stagelog.describe(path))


# ----------------------------------------------------------------------------------- score
def _score_job(
    c: Context,
    raw: Path | None,
    interim: Path | None,
    out: Path | None,
    model_uri: str | None,
    watchlist: frozenset[str] | None,  # the codes whose alerts the partition keeps
    engine: str,
    features_path: Path | None,
    allow_pickle: bool,
):
    """Resolve the model once and gather what every scored day needs."""
    from company_risk.scoring.run import prepare_job

    # an empty mlflow.db (left by an MLflow call that failed before creating its tables) is no
    # tracking database: scoring then uses the exported champion
    db = c.paths.mlflow_db
    tracked = bool(os.environ.get("MLFLOW_TRACKING_URI")) or (db.exists() and db.stat().st_size > 0)
    tracking_uri = c.paths.tracking_uri(os.environ) if tracked else None
    return prepare_job(
        raw=raw or c.paths.raw,
        interim=interim or c.paths.interim,
        out=out or c.paths.scores,
        model_uri=model_uri
        or ("models:/company-risk@champion" if tracked else str(c.paths.champion_model)),
        tracking_uri=tracking_uri,
        params=c.params,
        root=c.paths.root,
        features_path=features_path or c.paths.features_table,
        watchlist=watchlist,
        engine=engine,
        allow_pickle=allow_pickle,
    )


_ALLOW_PICKLE_HELP = (
    "Load a model saved with pickle (it can run code while loading): only a model from a "
    "source you trust. Without it such a model is refused."
)


_ENGINE_HELP = "pandas (one machine) or spark (mlflow.pyfunc.spark_udf; needs company-risk[spark])."


@command(writes=True)
def score(
    date: Annotated[
        str | None, typer.Option(help="Score as of this date (default: the latest drop).")
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Backfill: first drop date to score.")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Backfill: last drop date to score.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Partitions date=D/ (default data/scores).")
    ] = None,
    raw: Annotated[Path | None, typer.Option(help="Dated drops (default data/raw).")] = None,
    interim: Annotated[
        Path | None, typer.Option(help="History tables (default data/interim).")
    ] = None,
    model_uri: Annotated[
        str | None,
        typer.Option(
            help="models:/company-risk@champion (default with a tracking database) or a model directory (default models/champion)."
        ),
    ] = None,
    watchlist: Annotated[
        Path | None,
        typer.Option(
            help="Registry codes one a line, or a YAML/JSON watchlist: alerts for its codes only."
        ),
    ] = None,
    engine: Annotated[str, typer.Option(help=_ENGINE_HELP)] = "pandas",
    features_path: Annotated[
        Path | None, typer.Option("--features", help="Training features (drift reference).")
    ] = None,
    allow_pickle: Annotated[bool, typer.Option(help=_ALLOW_PICKLE_HELP)] = False,
) -> None:
    """Score every active company as of a date: probability, class, credit, reasons, alerts."""
    from company_risk.scoring import ScoringError
    from company_risk.scoring.run import drops_until, read_watchlist, score_days

    c = ctx()
    day = _parse_date(date, "--date")
    first, last = _parse_date(date_from, "--from"), _parse_date(date_to, "--to")
    if day and (first or last):
        raise _fail("give either --date or --from/--to, not both")
    with stagelog.stage("score") as log:
        codes = read_watchlist(watchlist) if watchlist else None
        job = _score_job(
            c, raw, interim, out, model_uri, codes, engine, features_path, allow_pickle
        )
        drops = drops_until(job.raw, last or day or dt.date.max)
        if first or last:
            dates = [d for d in drops if d >= (first or dt.date.min)]
            if not dates:
                raise ScoringError(f"no drop dated {first or '…'} .. {last or '…'} in {job.raw}")
        elif day:
            dates = [day]
        elif drops:
            dates = [drops[-1]]
        else:
            raise ScoringError(f"no drop in {job.raw}: nothing to score")
        for result in score_days(job, dates):
            log.info("wrote %s", stagelog.describe(result.path))


@command(writes=True)
def daily(
    source: Annotated[
        str | None, typer.Option(help="synthetic or real (default scoring.source).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Partitions date=D/ (default data/scores).")
    ] = None,
    raw: Annotated[Path | None, typer.Option(help="Dated drops (default data/raw).")] = None,
    interim: Annotated[
        Path | None, typer.Option(help="History tables (default data/interim).")
    ] = None,
    model_uri: Annotated[str | None, typer.Option(help="As for `score`.")] = None,
    watchlist: Annotated[
        Path | None,
        typer.Option(
            help="Registry codes one a line, or a YAML/JSON watchlist (name, codes, kinds, "
            "rules): the partition's alerts for these only, and a digest for it."
        ),
    ] = None,
    digests: Annotated[
        Path | None,
        typer.Option(help="Digests date=D/<watchlist>.html|json (default data/digests)."),
    ] = None,
    today: Annotated[
        str | None, typer.Option(help="The day of a real download (default: today).")
    ] = None,
    allow_pickle: Annotated[bool, typer.Option(help=_ALLOW_PICKLE_HELP)] = False,
) -> None:
    """The scheduler's one command: fetch (real) or pick (synthetic) the day's drop, ingest,
    score, and write a digest per watchlist (the API's store and --watchlist)."""
    from company_risk.scoring.daily import (
        SOURCES,
        day_watchlists,
        fetch_drop,
        ingest_or_quarantine,
        synthetic_date,
        write_digests,
    )
    from company_risk.scoring.run import load_watchlist, score_day

    c = ctx()
    source = source or c.params.scoring.source
    if source not in SOURCES:
        raise _fail(f"--source {source!r}: expected one of {', '.join(SOURCES)}")
    with stagelog.stage("daily") as log:
        raw_dir, out_dir = raw or c.paths.raw, out or c.paths.scores
        named = load_watchlist(watchlist) if watchlist else None  # a bad file: before any work
        if source == "real":
            day = _parse_date(today, "--today") or dt.date.today()
            folder = fetch_drop(c.params.scoring, raw_dir, day)
            log.info("drop %s", stagelog.describe(folder))
            # a drop that fails ingest is quarantined the day it comes, not applied later
            interim_dir, root = interim or c.paths.interim, c.paths.root
            ingest_or_quarantine(raw_dir, interim_dir, c.params.ingest, root, day)
        else:
            day = synthetic_date(raw_dir, out_dir)
            if day is None:
                log.info("every drop in %s is scored already; nothing to do", raw_dir)
                return
        # the store's watchlists, and the file's unless a stored one has its name
        watchlists = day_watchlists(c.paths.serve_store, named)
        codes = frozenset(named.codes) if named else None  # the file is read once
        job = _score_job(
            c, raw_dir, interim, out_dir, model_uri, codes, "pandas", None, allow_pickle
        )
        result = score_day(job, day)
        log.info("wrote %s", stagelog.describe(result.path))
        written = write_digests(digests or c.paths.digests, result, watchlists)
        if written is not None:
            log.info("wrote %s", stagelog.describe(written))


# ----------------------------------------------------------------------------------- serve
@command(writes=False)
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default serve.host).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default serve.port).")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Scored partitions date=D/ (default data/scores).")
    ] = None,
    store: Annotated[
        Path | None, typer.Option(help="Keys and watchlists (default data/serve/serve.sqlite).")
    ] = None,
) -> None:
    """The HTTP API and company card over the newest complete scored day."""
    import uvicorn

    from company_risk.serve.app import PortfolioInputs, create_app
    from company_risk.store import Store

    c = ctx()
    cfg = c.params.serve
    host, port = host or cfg.host, port or cfg.port
    app_ = create_app(
        out or c.paths.scores,
        Store(store or c.paths.serve_store),
        cfg,
        today=dt.date.today,
        now=lambda: dt.datetime.now(dt.UTC),
        own_host=host,
        own_port=port,
        portfolio=PortfolioInputs(c.paths.interim, c.params),
    )
    uvicorn.run(app_, host=host, port=port, log_level="info", proxy_headers=False)


def _store(path: Path | None):
    from company_risk.store import Store

    return Store(path or ctx().paths.serve_store)


_STORE_HELP = "The API's store (default data/serve/serve.sqlite)."


@command(writes=False, group=keys_app)
def add(
    name: Annotated[str, typer.Argument(help="Who the key is for (letters, digits, - and _).")],
    write: Annotated[bool, typer.Option("--write", help="May also change watchlists.")] = False,
    store: Annotated[Path | None, typer.Option(help=_STORE_HELP)] = None,
) -> None:
    """Make an API key and print it: the only time it is shown (only its hash is kept)."""
    key = _store(store).add_key(name, "write" if write else "read", dt.datetime.now(dt.UTC))
    typer.echo(key)
    typer.secho(
        f"key {name!r} ({'write' if write else 'read'}) made; it is not shown again",
        err=True,
    )


@command(writes=False, group=keys_app)
def list_(store: Annotated[Path | None, typer.Option(help=_STORE_HELP)] = None) -> None:
    """The keys: name, scope, made, revoked (never the key or its hash)."""
    for key in _store(store).list_keys():
        state = f"revoked {key.revoked_at}" if key.revoked_at else "active"
        typer.echo(f"{key.name}\t{key.scope}\tmade {key.created_at}\t{state}")


@command(writes=False, group=keys_app)
def revoke(
    name: Annotated[str, typer.Argument(help="The key's name.")],
    store: Annotated[Path | None, typer.Option(help=_STORE_HELP)] = None,
) -> None:
    """Revoke a key; the server refuses it from its next request on."""
    _store(store).revoke_key(name, dt.datetime.now(dt.UTC))
    typer.echo(f"key {name!r} revoked")


# ------------------------------------------------------------------------------- portfolio
@command(writes=True)
def portfolio(
    ledger: Annotated[
        Path | None,
        typer.Option(help="The unpaid invoices, a CSV export (README: Portfolio, the header)."),
    ] = None,
    example: Annotated[
        bool,
        typer.Option(
            help="Write a sample ledger for the scored day (example_ledger.csv in --out) and "
            "value it."
        ),
    ] = False,
    date: Annotated[
        str | None,
        typer.Option(help="The scored day to value it on (default: the newest complete one)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default reports/portfolio).")
    ] = None,
    scores: Annotated[Path | None, typer.Option(help="Daily scores (default data/scores).")] = None,
    interim: Annotated[
        Path | None, typer.Option(help="History tables (default data/interim).")
    ] = None,
) -> None:
    """Value a ledger of unpaid invoices with a scored day: open amount by risk class and
    ageing, expected loss, customers over their limit, invoices unlikely to be collected."""
    from company_risk.portfolio.run import scored_day, value_ledger, write_example

    c = ctx()
    if (ledger is None) == (not example):
        raise _fail("give --ledger FILE or --example (one of them)")
    scores = scores or c.paths.scores
    interim = interim or c.paths.interim
    out = out or c.paths.portfolio
    with stagelog.stage("portfolio") as log:
        day = scored_day(scores, _parse_date(date, "--date"))
        if example:
            ledger = write_example(scores, interim, day, out, c.params)
        result = value_ledger(ledger, scores, interim, day, out, c.params)
        for path in result.written:
            log.info("wrote %s", stagelog.describe(path))
    totals = result.portfolio.totals
    typer.echo(
        f"{day}: {totals['invoices']} open invoice(s) of {totals['customers']} customer(s), "
        f"{totals['open_eur']:,.2f} EUR open, expected loss {totals['expected_loss_12m'] or 0:,.2f}"
        f" EUR (12 months); {totals['bad_rows']} row(s) left out; {out}"
    )


if __name__ == "__main__":  # pragma: no cover
    app()
