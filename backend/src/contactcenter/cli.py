"""The `contactcenter` command."""

from __future__ import annotations

import asyncio
import getpass
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer

from contactcenter.core.config import ProcessRole, Settings, get_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="AI contact center backend.")


def _exit_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Interface to bind (HOST; default 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (PORT; default 8000)."),
    workers: int | None = typer.Option(None, help="Processes (WEB_CONCURRENCY; default 1)."),
) -> None:
    """Start the API (embedded PostgreSQL unless DATABASE_URL is set)."""
    import uvicorn

    from contactcenter.core.engine import EngineProcess
    from contactcenter.main import create_app

    overrides = {"host": host, "port": port, "workers": workers}
    settings = get_settings().model_copy(update={k: v for k, v in overrides.items() if v})
    options: dict[str, Any] = {
        "log_level": settings.log_level.lower(),
        "access_log": False,
        "ws_ping_interval": None,  # the app sends its own heartbeats
        "ws_per_message_deflate": settings.realtime.ws_compression,
        "timeout_graceful_shutdown": 10,
    }
    if settings.process_role is ProcessRole.engine:
        # started by the command below: the web processes reach it on its Unix socket
        socket_path = settings.engine_socket_path
        socket_path.parent.mkdir(parents=True, exist_ok=True)
        uvicorn.run(create_app(settings), uds=str(socket_path), **options)
        return
    options.update(host=settings.host, port=settings.port)
    engine: EngineProcess | None = None
    if settings.qdrant.url is None and (settings.engine_process or settings.workers > 1):
        # Qdrant Edge is one open handle per folder: the engine process owns it, and the web
        # processes serve HTTP and WebSockets on cores of their own
        engine = EngineProcess(settings.engine_socket_path.absolute())
        typer.echo("starting the engine process (replies, ingestion, vector store)...", err=True)
        engine.start()
        # uvicorn re-raises the SIGTERM it stopped on: as an exception, so the engine is
        # stopped below before this process exits
        signal.signal(signal.SIGTERM, _exit_on_signal)
        os.environ["PROCESS_ROLE"] = ProcessRole.web.value
        os.environ["ENGINE_SOCKET"] = str(engine.socket_path)
        settings = settings.model_copy(
            update={"process_role": ProcessRole.web, "engine_socket": engine.socket_path}
        )
    try:
        if settings.workers == 1:
            uvicorn.run(create_app(settings, print_banner=True), **options)
            return
        # several processes: each imports the app and reads its settings from the environment
        os.environ["HOST"] = settings.host
        os.environ["PORT"] = str(settings.port)
        uvicorn.run(
            "contactcenter.main:create_app_from_env",
            factory=True,
            workers=settings.workers,
            **options,
        )
    finally:
        if engine is not None:
            engine.stop()


@app.command()
def migrate() -> None:
    """Apply database migrations (also done at every start)."""
    from contactcenter.core import database

    async def run(settings: Settings) -> None:
        db = await database.connect(settings)
        try:
            await database.migrate(db)
        finally:
            await db.dispose()

    asyncio.run(run(get_settings()))
    typer.echo(f"database at revision {database.head_revision()}")


@app.command("create-tenant")
def create_tenant(slug: str, name: str) -> None:
    """Create a tenant (company)."""
    from contactcenter.core import database
    from contactcenter.tenants import repository, service

    async def run(settings: Settings) -> None:
        db = await database.connect(settings)
        try:
            await database.migrate(db)
            async with db.transaction() as session:
                if await repository.get_by_slug(session, slug) is not None:
                    raise typer.BadParameter(f"tenant {slug!r} exists already")
                tenant = await service.create_tenant(session, slug, name)
                typer.echo(f"created tenant {tenant.slug} ({tenant.id})")
        finally:
            await db.dispose()

    asyncio.run(run(get_settings()))


@app.command("create-user")
def create_user(
    tenant: str = typer.Option(..., help="The tenant's slug."),
    email: str = typer.Option(...),
    role: str = typer.Option("agent", help="agent, supervisor or admin."),
) -> None:
    """Create a staff account or set its password (from USER_PASSWORD or a prompt)."""
    from contactcenter.auth.principal import Role
    from contactcenter.core import database
    from contactcenter.tenants import repository, service

    try:
        staff_role = Role(role)
    except ValueError as exc:
        raise typer.BadParameter("role must be agent, supervisor or admin") from exc
    if staff_role is Role.customer:
        raise typer.BadParameter("customers sign in through the widget, not with a password")
    password = os.environ.get("USER_PASSWORD") or getpass.getpass("password: ")
    if len(password) < 10:
        raise typer.BadParameter("the password must be at least 10 characters")

    async def run(settings: Settings) -> None:
        db = await database.connect(settings)
        try:
            await database.migrate(db)
            async with db.transaction() as session:
                found = await repository.get_by_slug(session, tenant)
                if found is None:
                    raise typer.BadParameter(f"no tenant {tenant!r}")
                user = await service.upsert_staff_user(
                    session, found, email=email, role=staff_role, password=password
                )
                typer.echo(f"{email}: {staff_role.value} of {tenant} ({user.id})")
        finally:
            await db.dispose()

    asyncio.run(run(get_settings()))


INGEST_SUFFIXES = frozenset(
    {".md", ".markdown", ".txt", ".text", ".html", ".htm", ".pdf", ".csv", ".json", ".jsonl"}
)


def _collect(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in INGEST_SUFFIXES
                and not p.name.startswith(".")
            )
        elif path.is_file():
            found.append(path)
        else:
            raise typer.BadParameter(f"{path} does not exist")
    return found


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders (searched recursively)."),
    tenant: str = typer.Option(..., help="The tenant's slug."),
) -> None:
    """Add documents to a tenant's knowledge base and index them, with progress and a summary.

    A file with the same name as an existing document replaces it; an unchanged file is left
    alone. When a server on the same embedded data folder holds the vector store, that server
    indexes the documents and this command follows its progress.
    """
    from contactcenter.core import database
    from contactcenter.knowledge import service
    from contactcenter.knowledge.index import KnowledgeIndex
    from contactcenter.knowledge.schemas import UploadOutcome
    from contactcenter.knowledge.tasks import IngestionWorker
    from contactcenter.models import KnowledgeDocument
    from contactcenter.tenants import repository
    from contactcenter.vectorstore import build_vector_store

    _quiet_logs()
    files = _collect(paths)
    if not files:
        raise typer.BadParameter("no supported files found (Markdown, text, HTML, PDF, CSV, JSON)")

    async def run(settings: Settings) -> int:
        from sqlalchemy import select

        db = await database.connect(settings)
        store = None
        try:
            await database.migrate(db)
            results = []
            async with db.transaction() as session:
                found = await repository.get_by_slug(session, tenant)
                if found is None:
                    raise typer.BadParameter(f"no tenant {tenant!r}")
                for path in files:
                    results.append(
                        await service.add_file(
                            session,
                            settings,
                            tenant_id=found.id,
                            actor=None,
                            file=service.IncomingFile(path.name, None, path.read_bytes()),
                        )
                    )
            waiting = {
                r.document.id
                for r in results
                if r.document is not None and r.outcome is not UploadOutcome.unchanged
            }
            worker: IngestionWorker | None = None
            if waiting:
                try:
                    store = build_vector_store(settings)
                    index = KnowledgeIndex(settings, db, store)
                    await index.start()
                    worker = IngestionWorker(settings, db, index)
                except Exception as exc:  # the vector store is held by a running server
                    typer.echo(f"the running server will index the documents ({exc})", err=True)
            final: dict[object, KnowledgeDocument] = {}
            with typer.progressbar(length=len(waiting), label="indexing", file=sys.stderr) as bar:
                while waiting:
                    if worker is not None:
                        await worker.run_once()
                    else:
                        await asyncio.sleep(0.5)
                    async with db.transaction() as session:
                        rows = (
                            await session.scalars(
                                select(KnowledgeDocument).where(KnowledgeDocument.id.in_(waiting))
                            )
                        ).all()
                    for row in rows:
                        if row.status in ("indexed", "failed"):
                            final[row.id] = row
                            waiting.discard(row.id)
                            bar.update(1)
                    waiting &= {row.id for row in rows}  # deleted meanwhile
            failed = 0
            for r in results:
                doc = final.get(r.document.id) if r.document else None
                if r.outcome is UploadOutcome.rejected:
                    failed += 1
                    typer.echo(f"  rejected   {r.filename}: {r.error}")
                elif doc is not None and doc.status == "failed":
                    failed += 1
                    typer.echo(f"  failed     {r.filename}: {doc.error}")
                elif doc is not None:
                    plural = "" if doc.chunk_count == 1 else "s"
                    typer.echo(
                        f"  {r.outcome.value:<10} {r.filename}: {doc.chunk_count} chunk{plural}"
                    )
                else:
                    typer.echo(f"  {r.outcome.value:<10} {r.filename}")
            indexed = sum(1 for d in final.values() if d.status == "indexed")
            typer.echo(
                f"{len(results)} files: {indexed} indexed, "
                f"{sum(1 for r in results if r.outcome is UploadOutcome.unchanged)} unchanged, "
                f"{failed} failed"
            )
            return 1 if failed else 0
        finally:
            if store is not None:
                store.close()
            await db.dispose()

    code = asyncio.run(run(get_settings()))
    raise typer.Exit(code)


eval_app = typer.Typer(no_args_is_help=True, help="Measure quality on labelled data.")
app.add_typer(eval_app, name="eval")


def _quiet_logs() -> None:
    """Commands that draw progress and tables: only warnings and errors in the log, as text."""
    from contactcenter.core.logging import configure_logging

    configure_logging("WARNING", json_logs=False)


@eval_app.callback()
def _eval_setup() -> None:
    _quiet_logs()


@eval_app.command("retrieval")
def eval_retrieval(
    corpus: Path = typer.Option(..., help="JSON Lines: {id, title, text[, source, url]}."),
    queries: Path = typer.Option(..., help="JSON Lines: {id, query, relevant_ids[, relevance]}."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object of the metrics."),
) -> None:
    """Ingest a corpus into a throw-away tenant and score search on the queries.

    Reports hit@1/5/10, MRR@10, nDCG@10 and search latency (embed the query + hybrid search)
    p50/p95/p99, using the configured embedder (EMBEDDING_PROVIDER) on Qdrant Edge.
    """
    import json

    from contactcenter.core.jsonl import DataFileError
    from contactcenter.embeddings import build_embedder, embedding_settings
    from contactcenter.knowledge.evaluation import (
        format_report,
        load_corpus,
        load_queries,
        run_retrieval_eval,
    )
    from contactcenter.vectorstore.edge import EdgeVectorStore

    settings = get_settings()
    try:
        docs = load_corpus(corpus)
        questions = load_queries(queries)
    except DataFileError as exc:
        raise typer.BadParameter(str(exc)) from exc

    def progress(stage: str, done: int, total: int) -> None:
        if done == total or done % 100 == 0:
            typer.echo(f"\r{stage}: {done}/{total}", nl=done == total, err=True)

    report = run_retrieval_eval(
        docs,
        questions,
        settings=settings,
        embedder=build_embedder(embedding_settings(settings)),
        store_factory=EdgeVectorStore,
        progress=progress,
    )
    if as_json:
        typer.echo(json.dumps(report.as_json()))
    else:
        typer.echo(format_report(report))


@eval_app.command("answers")
def eval_answers(
    corpus: Path = typer.Option(..., help="JSON Lines: {id, title, text[, source, url]}."),
    queries: Path = typer.Option(..., help="JSON Lines: {id, query, relevant_ids[, relevance]}."),
    threshold: float = typer.Option(0.80, min=0.0, max=1.0, help="The tenant threshold."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object of the metrics."),
) -> None:
    """Send every query through the reply pipeline of a throw-away tenant holding the corpus.

    A reply is correct when its first citation is a relevant document. Reports auto_send_rate,
    auto_send_precision (correct share of the replies sent without review), draft_rate, ece
    (10 bins) and the pipeline's latency, with the offline responder.
    """
    import asyncio
    import json

    from contactcenter.core.jsonl import DataFileError
    from contactcenter.embeddings import build_embedder, embedding_settings
    from contactcenter.knowledge.evaluation import load_corpus, load_queries
    from contactcenter.pipeline.confidence import ConfidenceModel
    from contactcenter.pipeline.evaluation import format_report, run_answers_eval
    from contactcenter.vectorstore.edge import EdgeVectorStore

    settings = get_settings()
    try:
        docs = load_corpus(corpus)
        questions = load_queries(queries)
    except DataFileError as exc:
        raise typer.BadParameter(str(exc)) from exc

    def progress(stage: str, done: int, total: int) -> None:
        if done == total or done % 100 == 0:
            typer.echo(f"\r{stage}: {done}/{total}", nl=done == total, err=True)

    report = asyncio.run(
        run_answers_eval(
            docs,
            questions,
            settings=settings,
            embedder=build_embedder(embedding_settings(settings)),
            store_factory=EdgeVectorStore,
            model=ConfidenceModel.load(),
            threshold=threshold,
            progress=progress,
        )
    )
    if as_json:
        typer.echo(json.dumps(report.as_json()))
    else:
        typer.echo(format_report(report))


def _labelled(path: Path, labels: frozenset[str]) -> list[tuple[str, str]]:
    from contactcenter.core.jsonl import DataFileError, read_labelled

    try:
        return read_labelled(path, labels)
    except DataFileError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _print_metrics(metrics: Mapping[str, Any], as_json: bool) -> None:
    import json

    if as_json:
        typer.echo(json.dumps(metrics))
        return
    for key, value in metrics.items():
        if isinstance(value, float):
            typer.echo(f"{key:>22}  {value:.4f}")
        elif isinstance(value, int):
            typer.echo(f"{key:>22}  {value}")


@eval_app.command("classify")
def eval_classify(
    data: Path = typer.Option(..., help="JSON Lines: {text, label} with our three labels."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object of the metrics."),
) -> None:
    """Triage accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix."""
    from contactcenter.embeddings import offline_embedder
    from contactcenter.triage import Category, TriageClassifier
    from contactcenter.triage.evaluation import classification_report

    rows = _labelled(data, frozenset(c.value for c in Category))
    classifier = TriageClassifier.load(offline_embedder(get_settings()))
    predicted = [r.category.value for r in classifier.classify_many([t for t, _ in rows])]
    report = classification_report([label for _, label in rows], predicted)
    if as_json:
        _print_metrics(dict(report), True)
        return
    _print_metrics({"accuracy": report["accuracy"], "macro_f1": report["macro_f1"]}, False)
    typer.echo(f"\n{'':20}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
    for label, m in report["per_class"].items():
        typer.echo(
            f"{label:20}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>10.3f}"
            f"{m['support']:>9}"
        )
    labels = list(report["confusion"])
    typer.echo("\nconfusion (rows: true, columns: predicted)")
    typer.echo(f"{'':20}" + "".join(f"{label[:14]:>16}" for label in labels))
    for truth in labels:
        typer.echo(f"{truth:20}" + "".join(f"{report['confusion'][truth][p]:>16}" for p in labels))


@eval_app.command("safety")
def eval_safety(
    data: Path = typer.Option(..., help="JSON Lines: {text, label} labelled adr / no_adr."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object of the metrics."),
) -> None:
    """How well messages that report a reaction are routed to safety_compliance."""
    from contactcenter.embeddings import offline_embedder
    from contactcenter.triage import Category, TriageClassifier
    from contactcenter.triage.evaluation import safety_report

    rows = _labelled(data, frozenset({"adr", "no_adr"}))
    classifier = TriageClassifier.load(offline_embedder(get_settings()))
    results = classifier.classify_many([t for t, _ in rows])
    report = safety_report(
        [label == "adr" for _, label in rows],
        [r.category is Category.safety_compliance for r in results],
    )
    _print_metrics(dict(report), as_json)


@eval_app.command("injection")
def eval_injection(
    data: Path = typer.Option(..., help="JSON Lines: {text, label} labelled injection / benign."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object of the metrics."),
) -> None:
    """Prompt-injection detection rate and false-positive rate."""
    from contactcenter.embeddings import offline_embedder
    from contactcenter.guardrails import InjectionDetector
    from contactcenter.guardrails.evaluation import injection_report

    rows = _labelled(data, frozenset({"injection", "benign"}))
    detector = InjectionDetector.load(offline_embedder(get_settings()))
    predicted = [
        "injection" if detector.detect(text).is_injection else "benign" for text, _ in rows
    ]
    _print_metrics(injection_report([label for _, label in rows], predicted), as_json)


@app.command("export-contract")
def export_contract(directory: Path = typer.Argument(Path("shared"))) -> None:
    """Write openapi.json and realtime-events.schema.json (the frontend's types come from them)."""
    from contactcenter import contract
    from contactcenter.main import create_app

    for path in contract.write(create_app(Settings()), directory):
        typer.echo(f"wrote {path}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
