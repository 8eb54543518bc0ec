"""First-start work of the embedded default: the demo tenant, its accounts and knowledge base."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from uuid import UUID

from contactcenter.core.config import Settings
from contactcenter.core.database import Database
from contactcenter.knowledge.samples import load_demo_knowledge
from contactcenter.tenants.service import DEMO_ACCOUNTS, ensure_demo_tenant


@dataclass(frozen=True)
class DemoInfo:
    tenant_id: UUID
    tenant_slug: str
    accounts: tuple[str, ...]
    password: str
    password_from_env: bool


def demo_password(settings: Settings) -> tuple[str, bool]:
    """DEMO_PASSWORD, or a random one generated once and kept (0600) under DATA_DIR."""
    if settings.demo.password is not None:
        return settings.demo.password.get_secret_value(), True
    path = settings.data_dir / "demo_password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(12))
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text().strip(), False


async def seed_demo(settings: Settings, db: Database) -> DemoInfo | None:
    if not settings.seed_demo:
        return None
    password, from_env = demo_password(settings)
    async with db.transaction() as session:
        demo = await ensure_demo_tenant(session, password)
    if settings.knowledge.load_demo:
        await load_demo_knowledge(settings, db, demo.tenant.id)
    return DemoInfo(
        tenant_id=demo.tenant.id,
        tenant_slug=demo.tenant.slug,
        accounts=tuple(email for email, _, _ in DEMO_ACCOUNTS),
        password=password,
        password_from_env=from_env,
    )


def banner(settings: Settings, demo: DemoInfo | None) -> str:
    base = settings.base_url
    where = (
        f"embedded PostgreSQL under {settings.data_dir / 'pg'}"
        if settings.embedded_database
        else "DATABASE_URL"
    )
    lines = [
        "",
        "  AI Contact Center is running",
        f"    open          {base}/   (demo pharmacy site with the chat widget)",
        f"    agents        {base}/agent",
        f"    supervisors   {base}/supervisor",
        f"    API docs      {base}/docs",
        f"    health        {base}/health   readiness {base}/ready",
        f"    realtime      {base.replace('http', 'ws', 1)}/api/v1/realtime",
        f"    database      {where}",
    ]
    if demo is not None:
        source = (
            "from DEMO_PASSWORD"
            if demo.password_from_env
            else (f"generated, kept in {settings.data_dir / 'demo_password'}")
        )
        lines += [
            f"    demo tenant   {demo.tenant_slug}",
            *(f"    sign in as    {email}" for email in demo.accounts),
            f"    password      {demo.password}   ({source})",
        ]
    return "\n".join([*lines, ""])
