"""Settings: every knob of the service, read from LEARNLOOP_* environment variables and DATABASE_URL."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

APP_DB_ROLE = "learnloop_app"


class Settings(BaseSettings):
    """Service configuration; see the README's configuration table for each variable."""

    model_config = SettingsConfigDict(env_prefix="LEARNLOOP_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "LEARNLOOP_DATABASE_URL"),
        description="Owner connection (runs migrations). Unset: embedded PostgreSQL in data_dir.",
    )
    app_database_url: str | None = Field(
        default=None,
        description="Connection used for requests; defaults to database_url as the app role.",
    )
    app_db_password: SecretStr | None = Field(
        default=None, description="Password given to the app role by migrations (trust auth: none)."
    )
    data_dir: Path = Field(
        default=Path(".learnloop"), description="Embedded PostgreSQL and secrets."
    )
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    db_connect_timeout: float = Field(default=5.0, gt=0)

    jwt_secret: SecretStr | None = Field(
        default=None, description="HS256 secret; unset: generated once into data_dir/jwt_secret."
    )
    jwt_issuer: str = "learnloop"
    jwt_audience: str = "learnloop"
    jwt_default_ttl_seconds: int = Field(default=12 * 3600, ge=60)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    public_url: str | None = Field(default=None, description="Base URL used in export links.")
    log_level: str = "INFO"
    log_json: bool = Field(default=False, description="JSON log lines instead of console ones.")
    graphiql: bool = True
    metrics_token: SecretStr | None = Field(
        default=None, description="When set, /metrics needs 'Authorization: Bearer <token>'."
    )
    tracing: bool | None = Field(
        default=None,
        description="OpenTelemetry tracing: unset means on exactly when an OTLP endpoint is "
        "configured (OTEL_EXPORTER_OTLP_ENDPOINT); true/false force it.",
    )
    max_query_depth: int = Field(default=12, ge=2)
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body accepted (413 above)."
    )
    max_aliases: int = Field(
        default=100, ge=1, description="Most aliased fields one GraphQL document may hold."
    )
    max_page_budget: int = Field(
        default=25_000,
        ge=100,
        description="Most connection nodes one query may ask for: each connection's `first` "
        "times the `first` of every connection around it, summed.",
    )
    max_subscriptions_per_socket: int = Field(
        default=25, ge=1, description="Concurrent subscriptions one WebSocket may hold."
    )
    max_json_depth: int = Field(default=32, ge=1, description="Deepest JSON argument accepted.")
    max_json_bytes: int = Field(
        default=64 * 1024, ge=256, description="Largest JSON argument accepted (serialised)."
    )
    rate_limit_per_minute: int = Field(
        default=600,
        ge=0,
        description="Mutations per principal per minute (a token bucket of that size shared "
        "by every API process through PostgreSQL); 0 turns the limit off.",
    )

    worker_in_process: bool = Field(
        default=True, description="`serve` also runs a training worker (`--no-worker` disables)."
    )
    worker_concurrency: int = Field(
        default=1, ge=1, le=64, description="Runs one worker executes at once."
    )
    worker_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A run whose worker misses heartbeats this long is re-queued.",
    )
    worker_heartbeat_seconds: float = Field(default=10.0, gt=0)
    worker_poll_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Claim attempts without a NOTIFY (a safety net, not the path).",
    )
    worker_metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="`learnloop worker` serves its own /metrics on host:port when set.",
    )
    webhook_retry_seconds: str | None = Field(
        default=None,
        description="Comma-separated delays after each failed webhook attempt "
        "(default 5,30,120,600,3600); after the last, the delivery is FAILED.",
    )
    webhook_allow_private: bool = Field(
        default=False,
        description="Deliver webhooks to private, loopback and link-local addresses (tests).",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Time a webhook receiver has to answer."
    )
    engine_modules: str = Field(
        default="", description="Comma-separated modules whose register(registry) adds engines."
    )

    experiments_per_agent: int = Field(
        default=1, ge=1, le=100, description="RUNNING experiments allowed per agent at once."
    )
    pii_redaction: bool = Field(
        default=True,
        description="Replace e-mails, phones, cards, IBANs and secrets in frozen versions and exports.",
    )

    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = Field(default=60.0, gt=0, description="Per chat request.")
    llm_max_retries: int = Field(default=4, ge=0, le=20, description="On 429, 5xx, network errors.")
    llm_concurrency: int = Field(
        default=8, ge=1, le=256, description="Chat requests one run keeps in flight at most."
    )

    @model_validator(mode="after")
    def _heartbeat_inside_lease(self) -> Settings:
        if self.worker_heartbeat_seconds * 2 > self.worker_lease_seconds:
            raise ValueError(
                "LEARNLOOP_WORKER_HEARTBEAT_SECONDS must be at most half of "
                "LEARNLOOP_WORKER_LEASE_SECONDS, or live runs lose their lease between heartbeats"
            )
        return self

    @property
    def engine_module_list(self) -> list[str]:
        return [m.strip() for m in self.engine_modules.split(",") if m.strip()]

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    def resolved_jwt_secret(self) -> str:
        """The configured secret, or one generated once and kept in the data directory."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        path = self.data_dir / "jwt_secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(secrets.token_urlsafe(48))
            tmp.chmod(0o600)
            tmp.replace(path)
        return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
