"""FastAPI dependencies: the verified caller, role checks, and the caller's RLS transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.auth.principal import Principal
from contactcenter.auth.tokens import TokenVerifier
from contactcenter.core.database import Database
from contactcenter.core.errors import AppError, ErrorCode

_bearer = HTTPBearer(auto_error=False, description="A Supabase-shaped access token (JWT).")


def get_verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.verifier
    return verifier


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AppError(
            ErrorCode.not_authenticated,
            "send an access token as `Authorization: Bearer <token>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = await get_verifier(request).verify(credentials.credentials)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def require_staff(principal: CurrentPrincipal) -> Principal:
    if not principal.is_staff:
        raise AppError(ErrorCode.forbidden, "only agents, supervisors and admins may do this")
    return principal


StaffPrincipal = Annotated[Principal, Depends(require_staff)]


async def user_session(
    request: Request, principal: CurrentPrincipal
) -> AsyncIterator[AsyncSession]:
    """The request's transaction, run as `authenticated` with the caller's claims (RLS on)."""
    db: Database = request.app.state.db
    async with db.transaction(principal.claims) as session:
        yield session


UserSession = Annotated[AsyncSession, Depends(user_session, scope="function")]
