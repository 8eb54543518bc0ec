"""Sign-in, anonymous widget sessions, refresh with an idle timeout, sign-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.audit import service as audit
from contactcenter.auth import repository
from contactcenter.auth.passwords import verify_password
from contactcenter.auth.principal import Principal, Role
from contactcenter.auth.schemas import TokenResponse, UserOut
from contactcenter.auth.tokens import TokenIssuer, hash_refresh_token, new_refresh_token
from contactcenter.core.config import AuthSettings
from contactcenter.core.errors import AppError, ErrorCode
from contactcenter.models import User
from contactcenter.tenants import repository as tenants


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        role=Role(user.role),
        tenant_id=user.tenant_id,
        display_name=user.display_name,
        is_anonymous=user.is_anonymous,
    )


def _require_issuer(issuer: TokenIssuer | None) -> TokenIssuer:
    if issuer is None:
        raise AppError(
            ErrorCode.not_found,
            "this server does not issue tokens; sign in with Supabase Auth",
        )
    return issuer


async def _start_session(
    session: AsyncSession, issuer: TokenIssuer, user: User, user_agent: str | None
) -> TokenResponse:
    refresh_token, refresh_hash = new_refresh_token()
    auth_session = await repository.create_session(session, user, refresh_hash, user_agent)
    access = issuer.issue(
        user_id=user.id,
        tenant_id=user.tenant_id,
        role=Role(user.role),
        email=user.email,
        is_anonymous=user.is_anonymous,
        session_id=auth_session.id,
    )
    return TokenResponse(
        access_token=access.token,
        expires_in=access.expires_in,
        expires_at=access.expires_at,
        refresh_token=refresh_token,
        user=user_out(user),
    )


async def login(
    session: AsyncSession,
    issuer: TokenIssuer | None,
    *,
    email: str,
    password: str,
    user_agent: str | None,
) -> TokenResponse:
    issuer = _require_issuer(issuer)
    found = await tenants.user_by_email(session, email)
    password_hash = found[1] if found else None
    if not await verify_password(password_hash, password) or found is None:
        raise AppError(ErrorCode.invalid_credentials, "the e-mail or password is not correct")
    user = found[0]
    user.last_sign_in_at = datetime.now(UTC)
    tokens = await _start_session(session, issuer, user, user_agent)
    await audit.record(
        session,
        tenant_id=user.tenant_id,
        actor_id=user.id,
        actor_kind=user.role,
        action="auth.login",
        subject_type="user",
        subject_id=user.id,
    )
    return tokens


async def start_widget_session(
    session: AsyncSession, issuer: TokenIssuer | None, *, tenant_slug: str, user_agent: str | None
) -> TokenResponse:
    issuer = _require_issuer(issuer)
    tenant = await tenants.get_by_slug(session, tenant_slug)
    if tenant is None:
        raise AppError(ErrorCode.tenant_not_found, f"no tenant has the slug {tenant_slug!r}")
    user = User(tenant_id=tenant.id, role=Role.customer.value, is_anonymous=True)
    session.add(user)
    await session.flush()
    return await _start_session(session, issuer, user, user_agent)


async def refresh(
    session: AsyncSession, issuer: TokenIssuer | None, settings: AuthSettings, refresh_token: str
) -> TokenResponse:
    issuer = _require_issuer(issuer)
    found = await repository.session_by_refresh_hash(session, hash_refresh_token(refresh_token))
    if found is None or found[0].revoked_at is not None:
        raise AppError(ErrorCode.session_expired, "the refresh token is not valid; sign in again")
    auth_session, user = found
    now = datetime.now(UTC)
    if now - auth_session.refreshed_at > timedelta(seconds=settings.session_idle_timeout_s):
        # nothing to write: `refreshed_at` stays old, so every later attempt fails the same way
        raise AppError(
            ErrorCode.session_expired, "the session expired after inactivity; sign in again"
        )
    new_token, new_hash = new_refresh_token()
    auth_session.refresh_token_hash = new_hash
    auth_session.refreshed_at = now
    await session.flush()
    access = issuer.issue(
        user_id=user.id,
        tenant_id=user.tenant_id,
        role=Role(user.role),
        email=user.email,
        is_anonymous=user.is_anonymous,
        session_id=auth_session.id,
    )
    return TokenResponse(
        access_token=access.token,
        expires_in=access.expires_in,
        expires_at=access.expires_at,
        refresh_token=new_token,
        user=user_out(user),
    )


async def logout(session: AsyncSession, principal: Principal) -> None:
    if principal.session_id is not None:
        await repository.revoke_session(session, principal.session_id, datetime.now(UTC))


async def me(session: AsyncSession, principal: Principal) -> UserOut:
    """The caller's profile; for a Supabase-issued token with no profile yet, from its claims."""
    user = await repository.get_user(session, principal.user_id)
    if user is not None:
        return user_out(user)
    return UserOut(
        id=principal.user_id,
        email=principal.claims.get("email") or None,
        role=principal.role,
        tenant_id=principal.tenant_id,
        is_anonymous=principal.is_anonymous,
    )
