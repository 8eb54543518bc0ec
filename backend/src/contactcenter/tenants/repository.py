from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.models import Credential, Tenant, User


async def get_by_slug(session: AsyncSession, slug: str) -> Tenant | None:
    return (await session.execute(select(Tenant).where(Tenant.slug == slug))).scalar_one_or_none()


async def get(session: AsyncSession, tenant_id: UUID) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def user_by_email(session: AsyncSession, email: str) -> tuple[User, str | None] | None:
    row = (
        await session.execute(
            select(User, Credential.password_hash)
            .outerjoin(Credential, Credential.user_id == User.id)
            .where(func.lower(User.email) == email.lower())
        )
    ).one_or_none()
    return (row[0], row[1]) if row else None
