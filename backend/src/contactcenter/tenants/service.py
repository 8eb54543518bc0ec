"""Creating tenants and staff accounts, and the demo tenant of the embedded default."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.auth.passwords import hash_password, verify_password
from contactcenter.auth.principal import Role
from contactcenter.models import Credential, Tenant, User
from contactcenter.tenants import repository

log = structlog.get_logger(__name__)

DEMO_SLUG = "demo"
DEMO_SEED_LOCK_KEY = 7_340_019_202
DEMO_BRANDING = {
    "assistant_name": "Mira",
    "widget": {
        "brand_color": "#0f766e",
        "greeting": "Hi, I'm Mira from Riverside Pharmacy. Ask me about prescriptions, delivery, "
        "returns or opening hours.",
        "logo_url": "/pharmacy-logo.svg",
        "privacy_url": "/#privacy",
    },
}
DEMO_ACCOUNTS = (
    ("agent@demo.example", Role.agent, "Alex Agent"),
    ("supervisor@demo.example", Role.supervisor, "Sam Supervisor"),
)


async def create_tenant(session: AsyncSession, slug: str, name: str) -> Tenant:
    tenant = Tenant(slug=slug, name=name)
    session.add(tenant)
    await session.flush()
    return tenant


async def upsert_staff_user(
    session: AsyncSession,
    tenant: Tenant,
    *,
    email: str,
    role: Role,
    password: str,
    display_name: str | None = None,
) -> User:
    """Create the account, or set its password when it exists (for a changed DEMO_PASSWORD)."""
    found = await repository.user_by_email(session, email)
    if found is None:
        user = User(tenant_id=tenant.id, role=role.value, email=email, display_name=display_name)
        session.add(user)
        await session.flush()
        session.add(
            Credential(
                user_id=user.id, tenant_id=tenant.id, password_hash=await hash_password(password)
            )
        )
        await session.flush()
        return user
    user, current_hash = found
    if not await verify_password(current_hash, password):
        credential = await session.get(Credential, user.id)
        new_hash = await hash_password(password)
        if credential is None:
            session.add(
                Credential(user_id=user.id, tenant_id=user.tenant_id, password_hash=new_hash)
            )
        else:
            credential.password_hash = new_hash
        await session.flush()
    return user


@dataclass(frozen=True)
class DemoTenant:
    tenant: Tenant
    created: bool


async def ensure_demo_tenant(session: AsyncSession, password: str) -> DemoTenant:
    # two replicas starting together must not both create it
    await session.execute(select(func.pg_advisory_xact_lock(DEMO_SEED_LOCK_KEY)))
    tenant = await repository.get_by_slug(session, DEMO_SLUG)
    created = tenant is None
    if tenant is None:
        tenant = await create_tenant(session, DEMO_SLUG, "Riverside Pharmacy")
    if "widget" not in (tenant.settings or {}):
        # branding for the widget on the demo page; kept when someone has changed it
        tenant.settings = {**DEMO_BRANDING, **(tenant.settings or {})}
        await session.flush()
    for email, role, name in DEMO_ACCOUNTS:
        await upsert_staff_user(
            session, tenant, email=email, role=role, password=password, display_name=name
        )
    if created:
        log.info("demo.tenant_created", tenant_id=str(tenant.id))
    return DemoTenant(tenant=tenant, created=created)
