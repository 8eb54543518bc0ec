"""One settings object, read from the environment (pydantic-settings).

Groups: ``db``, ``auth``, ``api``, ``realtime``, ``demo``, ``embedding``, ``qdrant``,
``knowledge``, ``llm``, ``pipeline``. The flat names a new user meets in the
README (``DATABASE_URL``, ``PORT``, ``DATA_DIR``, ``DEMO_PASSWORD``, ``SUPABASE_JWT_SECRET``,
``SUPABASE_JWKS_URL``, ``QDRANT_URL``, ``QDRANT_API_KEY``, ``EMBEDDING_PROVIDER``,
``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``) are accepted as aliases of the grouped ones.
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "your-super-secret-jwt-token"}


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class ProcessRole(StrEnum):
    """What this process runs (set by `contactcenter serve`, not by hand)."""

    all = "all"  # everything: the one-process default
    web = "web"  # HTTP and WebSockets; the engine's routes are forwarded to the engine
    engine = "engine"  # reply pipeline, ingestion, scheduled jobs, the embedded vector store


def _group(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, extra="ignore", populate_by_name=True)


class DatabaseSettings(BaseSettings):
    model_config = _group("DB_")

    url: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "DB_URL"),
        description="PostgreSQL URL; unset means an embedded PostgreSQL under DATA_DIR.",
    )
    listen_url: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_LISTEN_URL", "DB_LISTEN_URL"),
        description="Direct (non-pooled) URL for LISTEN; Supabase's transaction pooler drops it.",
    )
    # a steady pool: overflow connections are closed when idle and reopening one costs the
    # database ~18 ms of CPU (measured by `make bench`), so keep most of them in the pool
    pool_size: int = Field(default=25, ge=1, le=200)
    max_overflow: int = Field(default=5, ge=0, le=500)
    pool_pre_ping: bool = Field(
        default=False,
        description="Ping before each checkout (three round trips with asyncpg); for flaky links.",
    )
    statement_timeout_ms: int = Field(default=15_000, ge=100)


class AuthSettings(BaseSettings):
    model_config = _group("AUTH_")

    jwt_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SUPABASE_JWT_SECRET", "AUTH_JWT_SECRET"),
        description="HS256 project secret. Embedded mode generates one under DATA_DIR.",
    )
    jwks_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SUPABASE_JWKS_URL", "AUTH_JWKS_URL"),
        description="JWKS of Supabase Auth (https://<ref>.supabase.co/auth/v1/.well-known/jwks.json).",
    )
    issuer: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SUPABASE_JWT_ISSUER", "AUTH_ISSUER"),
        description="Expected `iss`; unset accepts any issuer whose signature verifies.",
    )
    audience: str = "authenticated"
    issue_tokens: bool = Field(
        default=True, description="Issue tokens here (embedded); off when Supabase Auth does."
    )
    access_token_ttl_s: int = Field(default=900, ge=5, le=24 * 3600)
    session_idle_timeout_s: int = Field(default=3600, ge=10)
    jwks_cache_ttl_s: int = Field(default=600, ge=1)
    jwks_min_refresh_interval_s: float = Field(default=30.0, ge=0)
    leeway_s: int = Field(default=0, ge=0, le=300)


class ApiSettings(BaseSettings):
    model_config = _group("API_")

    max_message_chars: int = Field(default=4000, ge=1, le=100_000)
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    default_page_size: int = Field(default=50, ge=1, le=500)
    max_page_size: int = Field(default=200, ge=1, le=1000)
    cors_origins: list[str] = Field(default_factory=list)


class RealtimeSettings(BaseSettings):
    model_config = _group("REALTIME_")

    ws_compression: bool = Field(
        default=False,
        description="permessage-deflate: saves bandwidth, costs CPU per frame and per socket.",
    )
    channel: str = Field(default="contactcenter_events", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    heartbeat_interval_s: float = Field(default=25.0, gt=0)
    max_subscriptions_per_socket: int = Field(default=200, ge=1)
    send_queue_size: int = Field(default=1000, ge=10)


class EmbeddingProvider(StrEnum):
    offline = "offline"  # all-MiniLM-L6-v2 shipped in a PyPI package (torch, CPU)
    wordllama = "wordllama"  # static 256-d vectors, no torch: the light option
    fastembed = "fastembed"  # ONNX; downloads its model once
    openai = "openai"


class EmbeddingSettings(BaseSettings):
    model_config = _group("EMBEDDING_")

    provider: EmbeddingProvider = Field(
        default=EmbeddingProvider.offline,
        validation_alias=AliasChoices("EMBEDDING_PROVIDER"),
        description="Which embedder makes the vectors; a change re-embeds into a new collection.",
    )
    model: str | None = Field(
        default=None,
        description="Model name for fastembed / openai (defaults: BAAI/bge-small-en-v1.5, "
        "text-embedding-3-small).",
    )
    dimensions: int | None = Field(default=None, ge=8, le=4096, description="OpenAI only.")
    fastembed_cache_dir: Path | None = None
    fastembed_model_path: Path | None = Field(
        default=None, description="A local ONNX model folder, so FastEmbed needs no download."
    )
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "EMBEDDING_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "EMBEDDING_OPENAI_BASE_URL")
    )
    timeout_s: float = Field(default=30.0, gt=0)
    batch_size: int = Field(default=32, ge=1, le=2048)
    torch_threads: int | None = Field(
        default=None, ge=1, le=64, description="CPU threads for the offline model."
    )
    runtime: Literal["onnx", "torch"] = Field(
        default="onnx",
        description="How the offline model runs: an ONNX export on onnxruntime (exported once "
        "into cache_dir; falls back to torch if that fails), or torch itself.",
    )
    cache_dir: Path | None = Field(
        default=None, description="Where the offline model's ONNX export is kept (.data/models)."
    )


class QdrantSettings(BaseSettings):
    model_config = _group("QDRANT_")

    url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("QDRANT_URL"),
        description="Qdrant server, cluster or cloud; unset means Qdrant Edge under DATA_DIR.",
    )
    api_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("QDRANT_API_KEY"))
    collection_prefix: str = Field(default="kb", pattern=r"^[a-z][a-z0-9_-]{0,30}$")
    timeout_s: float = Field(default=10.0, gt=0)


class KnowledgeSettings(BaseSettings):
    model_config = _group("KNOWLEDGE_")

    chunk_words: int = Field(
        default=80,
        ge=20,
        le=2000,
        description="Largest chunk in words (MiniLM reads 128 word pieces: about 90 words).",
    )
    chunk_overlap_words: int = Field(default=15, ge=0, le=500)
    max_file_bytes: int = Field(default=20_000_000, ge=1024)
    dense_weight: float = Field(default=1.0, ge=0)
    sparse_weight: float = Field(default=0.1, ge=0)
    prefetch: int = Field(default=20, ge=1, le=500)
    optimize_after_points: int = Field(
        default=20_000, ge=0, description="Build HNSW on Qdrant Edge after bulk loads this big."
    )
    load_demo: bool = Field(default=True, description="Index the demo pharmacy knowledge base.")
    worker: bool = Field(
        default=True, description="Run the ingestion job worker inside the server process."
    )

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Self:
        if self.chunk_overlap_words >= self.chunk_words:
            raise ValueError(
                f"KNOWLEDGE_CHUNK_OVERLAP_WORDS ({self.chunk_overlap_words}) must be smaller "
                f"than KNOWLEDGE_CHUNK_WORDS ({self.chunk_words})"
            )
        return self


class LLMProviderName(StrEnum):
    openai = "openai"  # also any OpenAI-compatible server (vLLM, Ollama) via LLM_OPENAI_BASE_URL
    anthropic = "anthropic"


class LLMSettings(BaseSettings):
    model_config = _group("LLM_")

    providers: list[LLMProviderName] = Field(
        default_factory=list,
        description='Chat models to try, in order (JSON list, e.g. ["openai","anthropic"]). '
        "Empty: the offline grounded responder answers alone.",
    )
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("LLM_OPENAI_API_KEY", "OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("LLM_OPENAI_BASE_URL", "OPENAI_BASE_URL")
    )
    openai_model: str = "gpt-4o-mini"
    anthropic_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("LLM_ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY")
    )
    anthropic_base_url: str | None = None
    anthropic_model: str = "claude-haiku-4-5"
    timeout_s: float = Field(default=20.0, gt=0, description="Per call (per attempt).")
    max_attempts: int = Field(default=3, ge=1, le=10, description="Per provider, per reply.")
    breaker_failures: int = Field(default=5, ge=1, description="Failures that open a breaker.")
    breaker_reset_s: float = Field(default=30.0, gt=0, description="Open breaker's cool-down.")
    offline_fallback: bool = Field(
        default=True,
        description="When every chat model fails, compose the reply offline from the passages.",
    )
    max_tokens: int = Field(default=600, ge=16, le=8192)

    @model_validator(mode="after")
    def _keys_for_providers(self) -> Self:
        for provider in self.providers:
            key = (
                self.openai_api_key
                if provider is LLMProviderName.openai
                else (self.anthropic_api_key)
            )
            local = provider is LLMProviderName.openai and self.openai_base_url
            if key is None and not local:
                raise ValueError(
                    f"LLM_PROVIDERS lists {provider.value} but no API key is set "
                    f"({provider.value.upper()}_API_KEY)"
                )
        return self


class TicketAdapterKind(StrEnum):
    local = "local"
    webhook = "webhook"


class PipelineSettings(BaseSettings):
    model_config = _group("PIPELINE_")

    worker: bool = Field(
        default=True, description="Run the reply job worker inside the server process."
    )
    concurrency: int = Field(default=8, ge=1, le=256, description="Reply jobs in flight.")
    lease_s: float = Field(
        default=60.0, gt=0, description="A running job's lease; past it another worker takes it."
    )
    max_attempts: int = Field(default=3, ge=1, le=20)
    poll_s: float = Field(default=0.5, gt=0, description="Idle poll (other processes' jobs).")
    retrieve_limit: int = Field(default=5, ge=1, le=50)
    busy_queue_depth: int = Field(
        default=200,
        ge=0,
        description="Past this many waiting replies, customers are told a reply may take a "
        "moment (their messages are still kept and answered in turn).",
    )
    busy_check_s: float = Field(
        default=1.0,
        ge=0,
        description="How long a process trusts its last count of waiting replies, so a crowd "
        "of messages costs one count a second instead of one each (0: count every time).",
    )
    stream: bool = Field(
        default=True,
        description="Stream chat-model replies to the widget when the evidence already clears "
        "the threshold before generation.",
    )
    ticket_adapter: TicketAdapterKind = TicketAdapterKind.local
    ticket_webhook_url: str | None = None
    ticket_webhook_secret: SecretStr | None = None

    @model_validator(mode="after")
    def _webhook_needs_url(self) -> Self:
        if self.ticket_adapter is TicketAdapterKind.webhook and not self.ticket_webhook_url:
            raise ValueError("PIPELINE_TICKET_ADAPTER=webhook needs PIPELINE_TICKET_WEBHOOK_URL")
        return self


class RateLimitSettings(BaseSettings):
    model_config = _group("RATELIMIT_")

    enabled: bool = True
    client_per_s: float = Field(default=10.0, gt=0, description="Per user or widget session.")
    client_burst: float = Field(default=40.0, ge=1)
    tenant_per_s: float = Field(default=500.0, gt=0, description="All of a tenant's callers.")
    tenant_burst: float = Field(default=1000.0, ge=1)
    customer_messages_per_min: float = Field(
        default=30.0, gt=0, description="Messages one customer may post per minute."
    )
    customer_messages_burst: float = Field(default=6.0, ge=1)


class JobsSettings(BaseSettings):
    model_config = _group("JOBS_")

    enabled: bool = Field(
        default=True,
        description="Run the lifecycle sweeps (escalation, session expiry, retention) here; "
        "across replicas each sweep runs in one process at a time (advisory lock).",
    )
    interval_s: float = Field(default=15.0, ge=1, le=3600, description="Sweep period.")


class DemoSettings(BaseSettings):
    model_config = _group("DEMO_")

    seed: bool | None = Field(
        default=None,
        description="Create the `demo` tenant and accounts; by default only on embedded Postgres.",
    )
    password: SecretStr | None = Field(default=None, validation_alias="DEMO_PASSWORD")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    environment: Environment = Field(
        default=Environment.development, validation_alias=AliasChoices("ENVIRONMENT", "APP_ENV")
    )
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("HOST"))
    port: int = Field(default=8000, ge=1, le=65535, validation_alias=AliasChoices("PORT"))
    data_dir: Path = Field(default=Path(".data"), validation_alias=AliasChoices("DATA_DIR"))
    public_url: str | None = Field(default=None, validation_alias=AliasChoices("PUBLIC_URL"))
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("LOG_LEVEL"))
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        validation_alias=AliasChoices("WEB_CONCURRENCY", "WORKERS"),
        description="Server processes; each has its own pool and realtime listener.",
    )
    engine_process: bool = Field(
        default=True,
        validation_alias=AliasChoices("ENGINE_PROCESS"),
        description="Run the reply pipeline, ingestion and the embedded Qdrant in a second "
        "process, so HTTP and WebSockets get a core of their own (implied by WEB_CONCURRENCY "
        "> 1 with the embedded Qdrant).",
    )
    process_role: ProcessRole = Field(
        default=ProcessRole.all, validation_alias=AliasChoices("PROCESS_ROLE")
    )
    engine_socket: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("ENGINE_SOCKET"),
        description="The engine process's Unix socket (DATA_DIR/engine.sock when unset).",
    )
    log_json: bool = Field(default=True, validation_alias=AliasChoices("LOG_JSON"))
    run_migrations: bool = Field(default=True, validation_alias=AliasChoices("RUN_MIGRATIONS"))
    web_dir: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("WEB_DIR"),
        description="The built frontend (frontend/dist of the checkout when unset).",
    )

    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    realtime: RealtimeSettings = Field(default_factory=RealtimeSettings)
    demo: DemoSettings = Field(default_factory=DemoSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    qdrant: QdrantSettings = Field(default_factory=QdrantSettings)
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    jobs: JobsSettings = Field(default_factory=JobsSettings)
    ratelimit: RateLimitSettings = Field(default_factory=RateLimitSettings)

    @property
    def embedded_database(self) -> bool:
        return self.db.url is None

    @property
    def seed_demo(self) -> bool:
        return self.demo.seed if self.demo.seed is not None else self.embedded_database

    @property
    def engine_socket_path(self) -> Path:
        return self.engine_socket or self.data_dir / "engine.sock"

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @model_validator(mode="after")
    def _fail_fast_outside_development(self) -> Self:
        if self.environment is Environment.development:
            return self
        secret = self.auth.jwt_secret.get_secret_value() if self.auth.jwt_secret else None
        if secret is not None and (secret.lower() in _PLACEHOLDER_SECRETS or len(secret) < 32):
            raise ValueError(
                "SUPABASE_JWT_SECRET is a placeholder or shorter than 32 characters; "
                "set the project's real JWT secret"
            )
        if self.environment is Environment.production:
            if secret is None and self.auth.jwks_url is None:
                raise ValueError(
                    "production needs SUPABASE_JWT_SECRET or SUPABASE_JWKS_URL to verify tokens"
                )
            if self.auth.issue_tokens and secret is None:
                raise ValueError("AUTH_ISSUE_TOKENS=true needs SUPABASE_JWT_SECRET in production")
        return self

    def resolve_jwt_secret(self) -> str | None:
        """The HS256 secret; in embedded development one is generated and kept in DATA_DIR."""
        if self.auth.jwt_secret is not None:
            return self.auth.jwt_secret.get_secret_value()
        if not self.auth.issue_tokens:
            return None
        path = self.data_dir / "jwt_secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(secrets.token_urlsafe(48))
            tmp.chmod(0o600)
            tmp.replace(path)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
