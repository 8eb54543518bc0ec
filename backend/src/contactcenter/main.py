"""The FastAPI application: `create_app(settings)` wires the domains and the lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import structlog
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy import text

from contactcenter import __version__
from contactcenter.analytics.endpoints import router as analytics_router
from contactcenter.analytics.pusher import DashboardPusher
from contactcenter.auth.endpoints import router as auth_router
from contactcenter.auth.tokens import JwksCache, TokenIssuer, TokenVerifier
from contactcenter.contract import openapi_with_realtime
from contactcenter.conversations import service as conversations_service
from contactcenter.conversations.endpoints import router as conversations_router
from contactcenter.core import database
from contactcenter.core.config import Environment, ProcessRole, Settings, get_settings
from contactcenter.core.engine import (
    EngineProxyMiddleware,
    engine_checks,
    engine_client,
    exit_with_parent,
)
from contactcenter.core.handlers import BodySizeLimitMiddleware, install_handlers
from contactcenter.core.logging import RequestIdMiddleware, configure_logging
from contactcenter.hitl.endpoints import router as hitl_router
from contactcenter.jobs.scheduler import Scheduler
from contactcenter.knowledge.endpoints import UPLOAD_PATH
from contactcenter.knowledge.endpoints import router as knowledge_router
from contactcenter.knowledge.index import KnowledgeIndex
from contactcenter.knowledge.tasks import IngestionWorker
from contactcenter.observability import metrics
from contactcenter.observability.runtime import GcPauses, LoopLagMonitor, freeze_startup_heap
from contactcenter.pipeline.endpoints import router as pipeline_router
from contactcenter.pipeline.jobs import ReplyWorker
from contactcenter.pipeline.service import build_pipeline, build_tickets
from contactcenter.protection.ratelimit import RateLimitMiddleware
from contactcenter.realtime.endpoints import router as realtime_router
from contactcenter.realtime.hub import RealtimeHub
from contactcenter.startup import banner, seed_demo
from contactcenter.tenants.endpoints import router as tenants_router
from contactcenter.triage.endpoints import router as triage_router
from contactcenter.triage.service import Triage
from contactcenter.vectorstore import build_vector_store
from contactcenter.vectorstore.base import VectorStore
from contactcenter.web.routes import default_dist, mount_web

log = structlog.get_logger(__name__)


def operation_id(route: APIRoute) -> str:
    """Readable operation ids for generated clients: `conversations:list`."""
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}:{route.name}".replace("_", "-")


def _spill_loader(db: database.Database) -> Any:
    async def load(spill_id: int) -> dict[str, Any] | None:
        async with db.transaction() as session:
            row = await session.execute(
                text("SELECT payload FROM realtime_spill WHERE id = :id"), {"id": spill_id}
            )
            payload: dict[str, Any] | None = row.scalar_one_or_none()
            return payload

    return load


def _readiness(checks: dict[str, Any]) -> JSONResponse:
    ok = all(c["status"] in ("ok", "starting", "degraded") for c in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks},
        status_code=200 if ok else 503,
    )


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` (several worker processes): settings from the env."""
    return create_app(get_settings())


def create_app(settings: Settings | None = None, *, print_banner: bool = False) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = await database.connect(settings)
        http = httpx.AsyncClient()
        hub: RealtimeHub | None = None
        store: VectorStore | None = None
        worker: IngestionWorker | None = None
        replies: ReplyWorker | None = None
        scheduler: Scheduler | None = None
        pusher: DashboardPusher | None = None
        orphan_watch: asyncio.Task[None] | None = None
        lag = LoopLagMonitor()
        GcPauses.install()
        try:
            lag.start()
            if settings.run_migrations:
                await database.migrate(db)
            secret = settings.resolve_jwt_secret()
            jwks = (
                JwksCache(
                    settings.auth.jwks_url,
                    http,
                    settings.auth.jwks_cache_ttl_s,
                    settings.auth.jwks_min_refresh_interval_s,
                )
                if settings.auth.jwks_url
                else None
            )
            app.state.settings = settings
            app.state.db = db
            app.state.verifier = TokenVerifier(settings.auth, secret, jwks)
            app.state.issuer = (
                TokenIssuer(settings.auth, secret, f"{settings.base_url}/auth/v1")
                if settings.auth.issue_tokens and secret
                else None
            )
            if settings.process_role is ProcessRole.web:
                # the engine process owns the vector store and the models
                app.state.engine = engine_client(settings.engine_socket_path)
                app.state.demo = await seed_demo(settings, db)
            else:
                store = build_vector_store(settings)
                index = KnowledgeIndex(settings, db, store)
                app.state.knowledge = index
                app.state.triage = Triage(settings)
                app.state.demo = await seed_demo(settings, db)
                if settings.knowledge.worker:
                    # loads the embedding model, makes a collection live, then indexes the queue
                    worker = IngestionWorker(settings, db, index)
                    worker.start()
                    app.state.ingestion = worker
                app.state.pipeline = build_pipeline(settings, index, app.state.triage)
                if settings.pipeline.worker:
                    try:  # the models the first customer would otherwise wait for
                        await app.state.pipeline.warm()
                        await app.state.triage.classifier()
                        await index.configured_embedder()
                    except Exception:  # each reply retries the load and fails over to a person
                        log.warning("startup.warm_failed", exc_info=True)
                    replies = ReplyWorker(
                        settings, db, app.state.pipeline, build_tickets(settings, http)
                    )
                    replies.start()
                    app.state.replies = replies
                if settings.jobs.enabled:
                    scheduler = Scheduler(settings, db)
                    scheduler.start()
            if settings.process_role is ProcessRole.engine:
                orphan_watch = asyncio.create_task(exit_with_parent(), name="engine-parent")
            hub = RealtimeHub(db.listen_url, settings.realtime.channel, _spill_loader(db))
            await hub.start()
            app.state.hub = hub
            pusher = DashboardPusher(db, hub)
            pusher.start()
            app.state.dashboard_pusher = pusher
            app.state.conversation_visible = conversations_service.is_visible
            if settings.environment is not Environment.test:
                freeze_startup_heap()
            log.info("startup.ready", url=settings.base_url, embedded=settings.embedded_database)
            if print_banner:
                print(banner(settings, app.state.demo), flush=True)
            yield
        finally:
            await lag.stop()
            if orphan_watch is not None:
                orphan_watch.cancel()
            if pusher is not None:
                await pusher.stop()
            if scheduler is not None:
                await scheduler.stop()
            if replies is not None:
                await replies.stop()
            if worker is not None:
                await worker.stop()
            if hub is not None:
                await hub.stop()
            if store is not None:
                store.close()
            await http.aclose()
            engine = getattr(app.state, "engine", None)
            if engine is not None:
                await engine.aclose()
            await db.dispose()

    app = FastAPI(
        title="AI Contact Center API",
        version=__version__,
        summary="An AI answers customers first; people stay in control.",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    app.openapi = lambda: openapi_with_realtime(app)  # type: ignore[method-assign]
    install_handlers(app)
    if settings.process_role is ProcessRole.web:
        app.add_middleware(EngineProxyMiddleware)  # innermost: after every limit below
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.api.max_body_bytes,
        # uploads: a few files at the per-file limit, plus multipart framing
        overrides={UPLOAD_PATH: settings.knowledge.max_file_bytes * 5 + 65_536},
    )
    if settings.api.cors_origins:
        # the widget runs on tenants' own sites: list them in API_CORS_ORIGINS (JSON list)
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["authorization", "content-type", "x-request-id"],
            expose_headers=["x-request-id", "retry-after"],
            max_age=600,
        )
    if settings.ratelimit.enabled and settings.process_role is not ProcessRole.engine:
        # the engine's requests come through a web process, which has counted them already
        app.add_middleware(RateLimitMiddleware, settings=settings.ratelimit)
    app.add_middleware(metrics.HttpMetricsMiddleware)
    app.add_middleware(RequestIdMiddleware)

    app.include_router(auth_router)
    app.include_router(conversations_router)
    app.include_router(knowledge_router)
    app.include_router(triage_router)
    app.include_router(pipeline_router)
    app.include_router(hitl_router)
    app.include_router(analytics_router)
    app.include_router(realtime_router)
    app.include_router(tenants_router)

    @app.get("/health", tags=["ops"], summary="Liveness: the process answers")
    async def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get(
        "/ready",
        tags=["ops"],
        summary="Readiness: database reachable and migrated, realtime listening",
        responses={503: {"description": "A dependency is not ready"}},
    )
    async def ready(request: Request) -> JSONResponse:
        checks: dict[str, dict[str, Any]] = {}
        db: database.Database = request.app.state.db
        try:
            revision = await database.current_revision(db)  # also proves the database answers
            head = database.head_revision()
            checks["database"] = {
                "status": "ok" if revision == head else "migrating",
                "revision": revision,
                "expected": head,
            }
        except Exception as exc:  # readiness reports failures, it never raises them
            checks["database"] = {"status": "down", "error": type(exc).__name__}
        hub: RealtimeHub = request.app.state.hub
        checks["realtime"] = {
            "status": "ok" if hub.listening else "down",
            "connections": hub.connection_count,
        }
        if settings.process_role is ProcessRole.web:
            checks.update(await engine_checks(request.app.state.engine))
            return _readiness(checks)
        index: KnowledgeIndex = request.app.state.knowledge
        checks["knowledge"] = index.status()
        providers = request.app.state.pipeline.composer.provider_states()
        if providers:
            # an open breaker degrades replies (the next provider, or the offline responder,
            # or a person answers) but does not make the service unready
            healthy = any(state != "open" for state in providers.values())
            checks["llm"] = {"status": "ok" if healthy else "degraded", "providers": providers}
        else:
            checks["llm"] = {"status": "ok", "providers": {"offline": "closed"}}
        return _readiness(checks)

    @app.get(
        "/metrics",
        tags=["ops"],
        summary="Prometheus metrics of this process",
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}}},
    )
    async def prometheus_metrics(request: Request) -> Response:
        hub: RealtimeHub = request.app.state.hub
        metrics.realtime_connections.set(hub.connection_count)
        db: database.Database = request.app.state.db
        try:
            async with db.transaction() as session:
                depth = await session.execute(
                    text(
                        "SELECT (SELECT count(*) FROM reply_jobs WHERE status <> 'done'), "
                        "(SELECT count(*) FROM drafts WHERE status = 'pending_review')"
                    )
                )
                jobs, drafts = depth.one()
            metrics.reply_queue_depth.set(jobs)
            metrics.drafts_pending.set(drafts)
        except Exception:  # the scrape still answers with what this process knows
            log.warning("metrics.queue_depth_unavailable")
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    mount_web(app, settings.web_dir if settings.web_dir is not None else default_dist())
    return app
