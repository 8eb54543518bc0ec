from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.models import AuthSession, User


async def create_session(
    session: AsyncSession, user: User, refresh_hash: str, user_agent: str | None
) -> AuthSession:
    auth_session = AuthSession(
        tenant_id=user.tenant_id,
        user_id=user.id,
        refresh_token_hash=refresh_hash,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(auth_session)
    await session.flush()
    return auth_session


async def session_by_refresh_hash(
    session: AsyncSession, refresh_hash: str
) -> tuple[AuthSession, User] | None:
    row = (
        await session.execute(
            select(AuthSession, User)
            .join(User, User.id == AuthSession.user_id)
            .where(AuthSession.refresh_token_hash == refresh_hash)
            .with_for_update(of=AuthSession)
        )
    ).one_or_none()
    return (row[0], row[1]) if row else None


async def revoke_session(session: AsyncSession, session_id: UUID, at: datetime) -> None:
    await session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=at)
    )


async def get_user(session: AsyncSession, user_id: UUID) -> User | None:
    return await session.get(User, user_id)
