"""Issuing and verifying Supabase-shaped JWTs.

Verification accepts HS256 with the project secret and RS256 / ES256 / EdDSA with keys from a
JWKS URL (cached, refreshed on an unknown `kid` at most every `jwks_min_refresh_interval_s`).
Each algorithm family only ever meets its own kind of key, which rules out algorithm confusion;
`none` and every other algorithm are refused before any signature check.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import jwt
import structlog
from jwt import PyJWK

from contactcenter.auth.principal import Principal, Role
from contactcenter.core.config import AuthSettings
from contactcenter.core.errors import AppError, ErrorCode

log = structlog.get_logger(__name__)

ASYMMETRIC_ALGORITHMS = frozenset({"RS256", "ES256", "EdDSA"})
_KTY_FOR_ALG = {"RS256": "RSA", "ES256": "EC", "EdDSA": "OKP"}


def _invalid(detail: str) -> AppError:
    return AppError(
        ErrorCode.invalid_token,
        detail,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


class JwksCache:
    """Public keys of the token issuer, fetched over HTTP and kept for `ttl_s`."""

    def __init__(
        self, url: str, client: httpx.AsyncClient, ttl_s: float, min_refresh_interval_s: float
    ) -> None:
        self.url = url
        self._client = client
        self._ttl_s = ttl_s
        self._min_refresh_interval_s = min_refresh_interval_s
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at = float("-inf")
        self._attempted_at = float("-inf")
        self._lock = asyncio.Lock()

    async def _refresh(self) -> None:
        response = await self._client.get(self.url, timeout=5.0)
        response.raise_for_status()
        body = response.json()
        keys = body.get("keys") if isinstance(body, dict) else None
        if not isinstance(keys, list):
            raise ValueError("the JWKS has no list of keys")
        self._keys = {k["kid"]: k for k in keys if isinstance(k, dict) and "kid" in k}
        self._fetched_at = time.monotonic()
        log.info("auth.jwks_refreshed", keys=len(self._keys))

    async def get(self, kid: str) -> dict[str, Any] | None:
        age = time.monotonic() - self._fetched_at
        if kid in self._keys and age < self._ttl_s:
            return self._keys[kid]
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            stale = age >= self._ttl_s
            since_attempt = time.monotonic() - self._attempted_at
            may_refetch = since_attempt >= self._min_refresh_interval_s
            if may_refetch and (stale or kid not in self._keys):
                self._attempted_at = time.monotonic()
                try:
                    await self._refresh()
                except (httpx.HTTPError, ValueError) as exc:
                    log.warning("auth.jwks_fetch_failed", error=type(exc).__name__)
            if not self._keys:
                raise AppError(
                    ErrorCode.service_unavailable,
                    "the token issuer's signing keys could not be fetched",
                )
        return self._keys.get(kid)


class TokenVerifier:
    def __init__(
        self,
        settings: AuthSettings,
        secret: str | None,
        jwks: JwksCache | None = None,
    ) -> None:
        self._settings = settings
        self._secret = secret
        self._jwks = jwks

    async def _key_for(self, header: dict[str, Any]) -> tuple[Any, str]:
        alg = header.get("alg")
        if alg == "HS256":
            if self._secret is None:
                raise _invalid("HS256 tokens are not accepted by this server")
            return self._secret, alg
        if alg in ASYMMETRIC_ALGORITHMS:
            if self._jwks is None:
                raise _invalid(f"{alg} tokens are not accepted by this server")
            kid = header.get("kid")
            if not isinstance(kid, str) or not kid:
                raise _invalid("the token has no key id (kid)")
            jwk = await self._jwks.get(kid)
            if jwk is None:
                raise _invalid("the token was signed with an unknown key")
            if jwk.get("kty") != _KTY_FOR_ALG[alg] or jwk.get("alg", alg) != alg:
                raise _invalid("the token's algorithm does not match its signing key")
            try:
                return PyJWK(jwk, algorithm=alg).key, alg
            except jwt.PyJWTError as exc:
                raise _invalid("the signing key could not be used") from exc
        raise _invalid(f"tokens signed with {alg!r} are not accepted")

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _invalid("the token is not a well-formed JWT") from exc
        key, alg = await self._key_for(header)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self._settings.audience,
                issuer=self._settings.issuer,
                leeway=self._settings.leeway_s,
                options={"require": ["exp", "sub", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AppError(
                ErrorCode.token_expired,
                "the access token has expired; refresh it",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            ) from exc
        except jwt.InvalidAudienceError as exc:
            raise _invalid(f"the token's audience must be {self._settings.audience!r}") from exc
        except jwt.InvalidIssuerError as exc:
            raise _invalid("the token was issued by an unexpected issuer") from exc
        except jwt.InvalidSignatureError as exc:
            raise _invalid("the token's signature does not verify") from exc
        except jwt.PyJWTError as exc:
            raise _invalid(f"the token is invalid: {exc}") from exc
        return principal_from_claims(claims)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    if claims.get("role") != "authenticated":
        raise _invalid("the token's role must be 'authenticated'")
    meta = claims.get("app_metadata")
    if not isinstance(meta, dict):
        raise _invalid("the token carries no app_metadata")
    try:
        user_id = UUID(str(claims["sub"]))
        tenant_id = UUID(str(meta.get("tenant_id")))
    except ValueError as exc:
        raise _invalid("the token's sub and app_metadata.tenant_id must be UUIDs") from exc
    try:
        role = Role(str(meta.get("role")))
    except ValueError as exc:
        raise _invalid("app_metadata.role must be customer, agent, supervisor or admin") from exc
    session_id: UUID | None = None
    if claims.get("session_id"):
        try:
            session_id = UUID(str(claims["session_id"]))
        except ValueError as exc:
            raise _invalid("the token's session_id must be a UUID") from exc
    return Principal(
        user_id=user_id,
        tenant_id=tenant_id,
        role=role,
        is_anonymous=bool(claims.get("is_anonymous", False)),
        session_id=session_id,
        expires_at=int(claims["exp"]),
        claims=claims,
    )


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_in: int
    expires_at: int


class TokenIssuer:
    """Signs access tokens shaped like Supabase Auth's (HS256 with the project secret)."""

    def __init__(self, settings: AuthSettings, secret: str, issuer_url: str) -> None:
        self._settings = settings
        self._secret = secret
        self._issuer = settings.issuer or issuer_url

    def issue(
        self,
        *,
        user_id: UUID,
        tenant_id: UUID,
        role: Role,
        email: str | None,
        is_anonymous: bool,
        session_id: UUID,
        ttl_s: int | None = None,
        now: int | None = None,
    ) -> IssuedToken:
        iat = int(time.time()) if now is None else now
        ttl = self._settings.access_token_ttl_s if ttl_s is None else ttl_s
        claims = {
            "iss": self._issuer,
            "sub": str(user_id),
            "aud": self._settings.audience,
            "exp": iat + ttl,
            "iat": iat,
            "role": "authenticated",
            "email": email or "",
            "phone": "",
            "aal": "aal1",
            "amr": [{"method": "anonymous" if is_anonymous else "password", "timestamp": iat}],
            "session_id": str(session_id),
            "is_anonymous": is_anonymous,
            "app_metadata": {
                "provider": "anonymous" if is_anonymous else "email",
                "tenant_id": str(tenant_id),
                "role": role.value,
            },
            "user_metadata": {},
            "jti": str(uuid.uuid4()),
        }
        token = jwt.encode(claims, self._secret, algorithm="HS256", headers={"typ": "JWT"})
        return IssuedToken(token=token, expires_in=ttl, expires_at=iat + ttl)


def new_refresh_token() -> tuple[str, str]:
    """A random refresh token and the hash stored for it (the token itself is never stored)."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
