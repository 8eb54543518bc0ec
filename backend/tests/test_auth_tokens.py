"""Token verification: every token shape that is accepted, and every way a token is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import jwt
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from contactcenter.auth import tokens as tokens_module
from contactcenter.auth.principal import Role
from contactcenter.auth.tokens import JwksCache, TokenIssuer, TokenVerifier
from contactcenter.core.config import AuthSettings
from contactcenter.core.errors import AppError, ErrorCode

SECRET = "unit-test-project-secret-" + "s" * 40
ISSUER = "https://project.supabase.test/auth/v1"
JWKS_URL = ISSUER + "/.well-known/jwks.json"
RSA_KID = "rsa-key-1"
EC_KID = "ec-key-1"
ED_KID = "ed-key-1"

_DROP = object()  # a claim override that removes the claim


# --- keys and tokens ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def ed_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def jwk(public_key: Any, algorithm: Any, kid: str, alg: str) -> dict[str, Any]:
    key: dict[str, Any] = algorithm.to_jwk(public_key, as_dict=True)
    key.update(kid=kid, alg=alg, use="sig")
    return key


@pytest.fixture(scope="module")
def jwks(rsa_key, ec_key, ed_key) -> dict[str, Any]:
    return {
        "keys": [
            jwk(rsa_key.public_key(), RSAAlgorithm, RSA_KID, "RS256"),
            jwk(ec_key.public_key(), ECAlgorithm, EC_KID, "ES256"),
            jwk(ed_key.public_key(), OKPAlgorithm, ED_KID, "EdDSA"),
        ]
    }


def supabase_claims(**overrides: Any) -> dict[str, Any]:
    """Claims as Supabase Auth puts them in an access token."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": str(uuid.uuid4()),
        "aud": "authenticated",
        "exp": now + 600,
        "iat": now,
        "email": "agent@example.com",
        "phone": "",
        "role": "authenticated",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": now}],
        "app_metadata": {"provider": "email", "tenant_id": str(uuid.uuid4()), "role": "agent"},
        "user_metadata": {},
        "is_anonymous": False,
        "session_id": str(uuid.uuid4()),
    }
    for name, value in overrides.items():
        if value is _DROP:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def with_meta(**overrides: Any) -> dict[str, Any]:
    """Supabase claims whose app_metadata has the given changes."""
    claims = supabase_claims()
    for name, value in overrides.items():
        if value is _DROP:
            claims["app_metadata"].pop(name, None)
        else:
            claims["app_metadata"][name] = value
    return claims


def hs256(claims: dict[str, Any], secret: str = SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256", headers={"typ": "JWT"})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


class Clock:
    """Stands in for `time` inside the tokens module, so the JWKS cache's clock can be moved."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return time.time()

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(tokens_module, "time", fake)
    return fake


# --- verifiers ---------------------------------------------------------------------------------


@pytest.fixture
def jwks_mock(jwks) -> Iterator[respx.Route]:
    with respx.mock(assert_all_called=False) as router:
        yield router.get(JWKS_URL).mock(return_value=httpx.Response(200, json=jwks))


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def auth_settings(**overrides: Any) -> AuthSettings:
    return AuthSettings(jwt_secret=None, jwks_url=JWKS_URL, **overrides)


def make_verifier(
    http: httpx.AsyncClient | None = None,
    *,
    secret: str | None = SECRET,
    ttl_s: float = 600,
    min_refresh_interval_s: float = 30,
    **settings: Any,
) -> TokenVerifier:
    cache = (
        JwksCache(JWKS_URL, http, ttl_s=ttl_s, min_refresh_interval_s=min_refresh_interval_s)
        if http is not None
        else None
    )
    return TokenVerifier(auth_settings(**settings), secret, cache)


async def rejected(
    verifier: TokenVerifier, token: str, code: ErrorCode = ErrorCode.invalid_token
) -> AppError:
    with pytest.raises(AppError) as caught:
        await verifier.verify(token)
    assert caught.value.code is code, caught.value.detail
    assert caught.value.detail
    if code in (ErrorCode.invalid_token, ErrorCode.token_expired):
        assert caught.value.headers == {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    return caught.value


# --- accepted ----------------------------------------------------------------------------------


async def test_supabase_hs256_token_is_accepted():
    claims = supabase_claims()
    principal = await make_verifier().verify(hs256(claims))
    assert principal.user_id == uuid.UUID(claims["sub"])
    assert principal.tenant_id == uuid.UUID(claims["app_metadata"]["tenant_id"])
    assert principal.role is Role.agent
    assert principal.is_staff
    assert principal.is_anonymous is False
    assert principal.session_id == uuid.UUID(claims["session_id"])
    assert principal.expires_at == claims["exp"]
    assert principal.claims == claims


async def test_anonymous_customer_token_is_accepted():
    claims = with_meta(role="customer", provider="anonymous")
    claims["is_anonymous"] = True
    principal = await make_verifier().verify(hs256(claims))
    assert principal.role is Role.customer
    assert principal.is_anonymous is True
    assert not principal.is_staff


async def test_token_without_session_id_is_accepted():
    principal = await make_verifier().verify(hs256(supabase_claims(session_id=_DROP)))
    assert principal.session_id is None


async def test_rs256_token_from_jwks_is_accepted(http, jwks_mock, rsa_key):
    claims = supabase_claims()
    token = jwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": RSA_KID})
    principal = await make_verifier(http).verify(token)
    assert principal.user_id == uuid.UUID(claims["sub"])
    assert jwks_mock.call_count == 1


async def test_es256_token_from_jwks_is_accepted(http, jwks_mock, ec_key):
    claims = with_meta(role="supervisor")
    token = jwt.encode(claims, ec_key, algorithm="ES256", headers={"kid": EC_KID})
    principal = await make_verifier(http).verify(token)
    assert principal.role is Role.supervisor
    assert principal.user_id == uuid.UUID(claims["sub"])


async def test_eddsa_token_from_jwks_is_accepted(http, jwks_mock, ed_key):
    claims = with_meta(role="admin")
    token = jwt.encode(claims, ed_key, algorithm="EdDSA", headers={"kid": ED_KID})
    principal = await make_verifier(http).verify(token)
    assert principal.role is Role.admin


async def test_jwks_only_verifier_accepts_rs256(http, jwks_mock, rsa_key):
    token = jwt.encode(supabase_claims(), rsa_key, algorithm="RS256", headers={"kid": RSA_KID})
    principal = await make_verifier(http, secret=None).verify(token)
    assert principal.role is Role.agent


async def test_expected_issuer_is_accepted():
    verifier = make_verifier(issuer=ISSUER)
    principal = await verifier.verify(hs256(supabase_claims()))
    assert principal.role is Role.agent


async def test_expired_token_within_leeway_is_accepted():
    claims = supabase_claims(exp=int(time.time()) - 10)
    principal = await make_verifier(leeway_s=60).verify(hs256(claims))
    assert principal.expires_at == claims["exp"]


# --- rejected: signature and algorithm ---------------------------------------------------------


async def test_bad_signature_is_rejected():
    token = hs256(supabase_claims(), secret="another-project-secret-" + "y" * 40)
    error = await rejected(make_verifier(), token)
    assert "signature" in error.detail


async def test_tampered_payload_is_rejected():
    header, _, signature = hs256(supabase_claims()).split(".")
    forged = b64json(with_meta(role="admin"))
    await rejected(make_verifier(), f"{header}.{forged}.{signature}")


async def test_rs256_signed_by_unpublished_key_with_known_kid_is_rejected(http, jwks_mock):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(supabase_claims(), other, algorithm="RS256", headers={"kid": RSA_KID})
    await rejected(make_verifier(http), token)


@pytest.mark.parametrize("alg", ["none", "None", "NONE", ""])
async def test_alg_none_is_rejected(http, jwks_mock, alg):
    header = b64json({"alg": alg, "typ": "JWT"})
    token = f"{header}.{b64json(with_meta(role='admin'))}."
    await rejected(make_verifier(http), token)
    assert jwks_mock.call_count == 0


async def test_missing_alg_is_rejected():
    header = b64json({"typ": "JWT"})
    token = f"{header}.{b64json(supabase_claims())}."
    await rejected(make_verifier(), token)


async def test_alg_confusion_hs256_keyed_with_rsa_public_key_is_rejected(http, jwks_mock, rsa_key):
    """The classic attack: HMAC over the token with the (public) RSA key as the secret."""
    pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{b64json({'alg': 'HS256', 'typ': 'JWT', 'kid': RSA_KID})}."
    signing_input += b64json(with_meta(role="admin"))
    signature = b64url(hmac.new(pem, signing_input.encode(), hashlib.sha256).digest())
    token = f"{signing_input}.{signature}"
    await rejected(make_verifier(http), token)
    # a server that only trusts the JWKS does not take HS256 at all
    error = await rejected(make_verifier(http, secret=None), token)
    assert "HS256" in error.detail


async def test_alg_confusion_rs256_header_with_ec_kid_is_rejected(http, jwks_mock, rsa_key):
    token = jwt.encode(supabase_claims(), rsa_key, algorithm="RS256", headers={"kid": EC_KID})
    error = await rejected(make_verifier(http), token)
    assert "does not match" in error.detail


async def test_alg_confusion_es256_header_with_rsa_kid_is_rejected(http, jwks_mock, ec_key):
    token = jwt.encode(supabase_claims(), ec_key, algorithm="ES256", headers={"kid": RSA_KID})
    await rejected(make_verifier(http), token)


async def test_jwk_whose_alg_differs_from_the_header_is_rejected(http, rsa_key):
    key = jwk(rsa_key.public_key(), RSAAlgorithm, "rs512-key", "RS512")
    token = jwt.encode(supabase_claims(), rsa_key, algorithm="RS256", headers={"kid": "rs512-key"})
    with respx.mock() as router:
        router.get(JWKS_URL).mock(return_value=httpx.Response(200, json={"keys": [key]}))
        await rejected(make_verifier(http), token)


@pytest.mark.parametrize("alg", ["HS384", "HS512"])
async def test_other_hmac_algorithms_are_rejected(alg):
    token = jwt.encode(supabase_claims(), SECRET, algorithm=alg)
    await rejected(make_verifier(), token)


async def test_rs512_is_rejected(http, jwks_mock, rsa_key):
    token = jwt.encode(supabase_claims(), rsa_key, algorithm="RS512", headers={"kid": RSA_KID})
    await rejected(make_verifier(http), token)
    assert jwks_mock.call_count == 0


async def test_hs256_is_rejected_when_no_secret_is_configured():
    await rejected(make_verifier(secret=None), hs256(supabase_claims()))


async def test_rs256_is_rejected_when_no_jwks_is_configured(rsa_key):
    token = jwt.encode(supabase_claims(), rsa_key, algorithm="RS256", headers={"kid": RSA_KID})
    await rejected(make_verifier(), token)


async def test_rs256_without_kid_is_rejected(http, jwks_mock, rsa_key):
    token = jwt.encode(supabase_claims(), rsa_key, algorithm="RS256")
    error = await rejected(make_verifier(http), token)
    assert "kid" in error.detail


# --- rejected: unknown kid and the JWKS refresh limit ------------------------------------------


async def test_unknown_kid_is_rejected(http, jwks_mock):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(supabase_claims(), other, algorithm="RS256", headers={"kid": "rotated"})
    error = await rejected(make_verifier(http), token)
    assert "unknown key" in error.detail


async def test_unknown_kid_refetches_jwks_at_most_once_per_interval(
    http, jwks_mock, rsa_key, clock
):
    verifier = make_verifier(http, min_refresh_interval_s=30)
    good = jwt.encode(supabase_claims(), rsa_key, algorithm="RS256", headers={"kid": RSA_KID})
    await verifier.verify(good)
    assert jwks_mock.call_count == 1
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    unknown = jwt.encode(supabase_claims(), other, algorithm="RS256", headers={"kid": "rotated"})
    for _ in range(5):
        clock.advance(5)
        await rejected(verifier, unknown)
    assert jwks_mock.call_count == 1  # 25 s after the fetch: no re-fetch yet
    clock.advance(6)
    await rejected(verifier, unknown)
    assert jwks_mock.call_count == 2  # 31 s: one re-fetch
    for _ in range(5):
        clock.advance(5)
        await rejected(verifier, unknown)
    assert jwks_mock.call_count == 2
    await verifier.verify(good)
    assert jwks_mock.call_count == 2


async def test_unknown_kid_picks_up_a_rotated_key(http, jwks, rsa_key, clock):
    """Once the refresh interval allows, an unknown kid re-fetches the JWKS and finds new keys."""
    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rotated = {"keys": [*jwks["keys"], jwk(new_key.public_key(), RSAAlgorithm, "new", "RS256")]}
    verifier = make_verifier(http, min_refresh_interval_s=30)
    old = jwt.encode(supabase_claims(), rsa_key, algorithm="RS256", headers={"kid": RSA_KID})
    new = jwt.encode(supabase_claims(), new_key, algorithm="RS256", headers={"kid": "new"})
    with respx.mock() as router:
        route = router.get(JWKS_URL).mock(
            side_effect=[httpx.Response(200, json=jwks), httpx.Response(200, json=rotated)]
        )
        await verifier.verify(old)
        clock.advance(30)
        principal = await verifier.verify(new)
        await verifier.verify(old)
    assert principal.role is Role.agent
    assert route.call_count == 2


async def test_failed_jwks_refetch_is_not_retried_within_the_interval(http, jwks, rsa_key, clock):
    """While the JWKS is down, tokens with made-up kids must not each trigger an HTTP call."""
    verifier = make_verifier(http, min_refresh_interval_s=30)
    good = jwt.encode(supabase_claims(), rsa_key, algorithm="RS256", headers={"kid": RSA_KID})
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with respx.mock() as router:
        route = router.get(JWKS_URL).mock(
            side_effect=[httpx.Response(200, json=jwks)] + [httpx.Response(503)] * 10
        )
        await verifier.verify(good)
        clock.advance(31)
        for n in range(5):
            unknown = jwt.encode(
                supabase_claims(), other, algorithm="RS256", headers={"kid": f"made-up-{n}"}
            )
            await rejected(verifier, unknown)
        await verifier.verify(good)
    assert route.call_count == 2


async def test_stale_keys_are_not_refetched_on_every_request_while_the_jwks_is_down(
    http, jwks, rsa_key, clock
):
    verifier = make_verifier(http, ttl_s=600, min_refresh_interval_s=30)
    token = jwt.encode(supabase_claims(), rsa_key, algorithm="RS256", headers={"kid": RSA_KID})
    with respx.mock() as router:
        route = router.get(JWKS_URL).mock(
            side_effect=[httpx.Response(200, json=jwks)] + [httpx.Response(503)] * 10
        )
        await verifier.verify(token)
        clock.advance(601)
        for _ in range(5):
            clock.advance(1)
            await verifier.verify(token)
    assert route.call_count == 2


# --- rejected: claims --------------------------------------------------------------------------


@pytest.mark.parametrize("aud", ["anon", "service_role", ["anon"], "Authenticated"])
async def test_wrong_aud_is_rejected(aud):
    error = await rejected(make_verifier(), hs256(supabase_claims(aud=aud)))
    assert "audience" in error.detail


@pytest.mark.parametrize("aud", [_DROP, "", []], ids=["absent", "empty", "empty-list"])
async def test_missing_aud_is_rejected(aud):
    await rejected(make_verifier(), hs256(supabase_claims(aud=aud)))


async def test_wrong_issuer_is_rejected():
    verifier = make_verifier(issuer="https://other.supabase.test/auth/v1")
    error = await rejected(verifier, hs256(supabase_claims()))
    assert "issuer" in error.detail


async def test_missing_exp_is_rejected():
    await rejected(make_verifier(), hs256(supabase_claims(exp=_DROP)))


async def test_missing_sub_is_rejected():
    await rejected(make_verifier(), hs256(supabase_claims(sub=_DROP)))


@pytest.mark.parametrize("sub", ["not-a-uuid", "", 12345])
async def test_sub_not_a_uuid_is_rejected(sub):
    await rejected(make_verifier(), hs256(supabase_claims(sub=sub)))


@pytest.mark.parametrize("role", ["anon", "service_role", "admin", "agent", None])
async def test_role_claim_not_authenticated_is_rejected(role):
    error = await rejected(make_verifier(), hs256(supabase_claims(role=role)))
    assert "'authenticated'" in error.detail


async def test_missing_role_claim_is_rejected():
    await rejected(make_verifier(), hs256(supabase_claims(role=_DROP)))


@pytest.mark.parametrize("role", ["superuser", "service_role", "Admin", "", None, ["admin"]])
async def test_app_metadata_role_outside_the_four_roles_is_rejected(role):
    error = await rejected(make_verifier(), hs256(with_meta(role=role)))
    assert "app_metadata.role" in error.detail


async def test_missing_app_metadata_role_is_rejected():
    await rejected(make_verifier(), hs256(with_meta(role=_DROP)))


@pytest.mark.parametrize("meta", [None, "admin", ["admin"]])
async def test_app_metadata_not_an_object_is_rejected(meta):
    await rejected(make_verifier(), hs256(supabase_claims(app_metadata=meta)))


async def test_missing_app_metadata_is_rejected():
    await rejected(make_verifier(), hs256(supabase_claims(app_metadata=_DROP)))


@pytest.mark.parametrize("tenant_id", ["acme", "", 42, None, "00000000-0000-0000-0000"])
async def test_tenant_id_not_a_uuid_is_rejected(tenant_id):
    error = await rejected(make_verifier(), hs256(with_meta(tenant_id=tenant_id)))
    assert "tenant_id" in error.detail


async def test_missing_tenant_id_is_rejected():
    await rejected(make_verifier(), hs256(with_meta(tenant_id=_DROP)))


async def test_session_id_not_a_uuid_is_rejected():
    await rejected(make_verifier(), hs256(supabase_claims(session_id="session-1")))


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "",
        "a.b.c",
        "Bearer x.y.z",
        "eyJhbGciOiJIUzI1NiJ9",
        "eyJhbGciOiJIUzI1NiJ9.not-base64!.sig",
        "\x00\x01\x02",
    ],
)
async def test_garbage_string_is_rejected(token):
    await rejected(make_verifier(), token)


async def test_header_that_is_not_an_object_is_rejected():
    token = f"{b64url(b'[1,2]')}.{b64json(supabase_claims())}.sig"
    await rejected(make_verifier(), token)


async def test_payload_that_is_not_an_object_is_rejected():
    signing_input = f"{b64json({'alg': 'HS256', 'typ': 'JWT'})}.{b64url(b'[1,2]')}"
    signature = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    await rejected(make_verifier(), f"{signing_input}.{b64url(signature)}")


# --- expiry ------------------------------------------------------------------------------------


async def test_expired_token_is_rejected_as_expired():
    token = hs256(supabase_claims(exp=int(time.time()) - 1))
    error = await rejected(make_verifier(), token, ErrorCode.token_expired)
    assert "expired" in error.detail


async def test_expired_rs256_token_is_rejected_as_expired(http, jwks_mock, rsa_key):
    claims = supabase_claims(exp=int(time.time()) - 3600)
    token = jwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": RSA_KID})
    await rejected(make_verifier(http), token, ErrorCode.token_expired)


async def test_expired_token_with_bad_signature_is_invalid_not_expired():
    """Expiry is only reported for tokens whose signature verifies."""
    claims = supabase_claims(exp=int(time.time()) - 60)
    token = hs256(claims, secret="another-project-secret-" + "y" * 40)
    await rejected(make_verifier(), token, ErrorCode.invalid_token)


# --- the JWKS cache ----------------------------------------------------------------------------


async def test_jwks_keys_are_cached(http, jwks_mock, rsa_key, ec_key):
    verifier = make_verifier(http)
    rs = jwt.encode(supabase_claims(), rsa_key, algorithm="RS256", headers={"kid": RSA_KID})
    es = jwt.encode(supabase_claims(), ec_key, algorithm="ES256", headers={"kid": EC_KID})
    await verifier.verify(rs)
    assert jwks_mock.call_count == 1
    await verifier.verify(rs)
    await verifier.verify(es)
    assert jwks_mock.call_count == 1


async def test_jwks_cache_returns_the_published_jwk(http, jwks_mock, jwks):
    cache = JwksCache(JWKS_URL, http, ttl_s=600, min_refresh_interval_s=30)
    assert await cache.get(EC_KID) == jwks["keys"][1]
    assert await cache.get("missing") is None
    assert jwks_mock.call_count == 1


async def test_jwks_is_refetched_after_its_ttl(http, jwks_mock, rsa_key):
    verifier = make_verifier(http, ttl_s=0, min_refresh_interval_s=0)
    token = jwt.encode(supabase_claims(), rsa_key, algorithm="RS256", headers={"kid": RSA_KID})
    await verifier.verify(token)
    await verifier.verify(token)
    assert jwks_mock.call_count == 2


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(500, text="upstream down"),
        httpx.Response(404, text="not found"),
        httpx.Response(200, text="<html>not json</html>"),
    ],
    ids=["500", "404", "not-json"],
)
async def test_jwks_failure_without_cached_keys_is_service_unavailable(http, rsa_key, response):
    token = jwt.encode(supabase_claims(), rsa_key, algorithm="RS256", headers={"kid": RSA_KID})
    with respx.mock() as router:
        router.get(JWKS_URL).mock(return_value=response)
        await rejected(make_verifier(http), token, ErrorCode.service_unavailable)


async def test_jwks_unreachable_without_cached_keys_is_service_unavailable(http, rsa_key):
    token = jwt.encode(supabase_claims(), rsa_key, algorithm="RS256", headers={"kid": RSA_KID})
    with respx.mock() as router:
        router.get(JWKS_URL).mock(side_effect=httpx.ConnectError("connection refused"))
        await rejected(make_verifier(http), token, ErrorCode.service_unavailable)


@pytest.mark.parametrize(
    "body", [[], "keys", {"keys": None}, {"keys": 5}], ids=["list", "string", "null", "number"]
)
async def test_jwks_that_is_not_a_key_set_is_service_unavailable(http, rsa_key, body):
    token = jwt.encode(supabase_claims(), rsa_key, algorithm="RS256", headers={"kid": RSA_KID})
    with respx.mock() as router:
        router.get(JWKS_URL).mock(return_value=httpx.Response(200, json=body))
        await rejected(make_verifier(http), token, ErrorCode.service_unavailable)


async def test_stale_keys_are_used_while_the_jwks_is_down(http, jwks, rsa_key):
    verifier = make_verifier(http, ttl_s=0, min_refresh_interval_s=0)
    token = jwt.encode(supabase_claims(), rsa_key, algorithm="RS256", headers={"kid": RSA_KID})
    with respx.mock() as router:
        route = router.get(JWKS_URL).mock(
            side_effect=[httpx.Response(200, json=jwks), httpx.Response(503)]
        )
        await verifier.verify(token)
        principal = await verifier.verify(token)
    assert principal.role is Role.agent
    assert route.call_count == 2


# --- issuing -----------------------------------------------------------------------------------


async def test_issued_token_has_the_supabase_shape_and_verifies():
    settings = AuthSettings(jwt_secret=None, access_token_ttl_s=900)
    issuer = TokenIssuer(settings, SECRET, "http://localhost:8000/auth/v1")
    user_id, tenant_id, session_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    issued = issuer.issue(
        user_id=user_id,
        tenant_id=tenant_id,
        role=Role.supervisor,
        email="sup@example.com",
        is_anonymous=False,
        session_id=session_id,
    )
    assert jwt.get_unverified_header(issued.token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(issued.token, SECRET, algorithms=["HS256"], audience="authenticated")
    assert claims["iss"] == "http://localhost:8000/auth/v1"
    assert claims["sub"] == str(user_id)
    assert claims["aud"] == "authenticated"
    assert claims["role"] == "authenticated"
    assert claims["exp"] == claims["iat"] + 900
    assert abs(claims["iat"] - time.time()) < 5
    assert claims["session_id"] == str(session_id)
    assert claims["is_anonymous"] is False
    assert claims["email"] == "sup@example.com"
    assert claims["app_metadata"] == {
        "provider": "email",
        "tenant_id": str(tenant_id),
        "role": "supervisor",
    }
    assert issued.expires_in == 900
    assert issued.expires_at == claims["exp"]

    principal = await TokenVerifier(settings, SECRET).verify(issued.token)
    assert principal.user_id == user_id
    assert principal.tenant_id == tenant_id
    assert principal.role is Role.supervisor
    assert principal.session_id == session_id
    assert principal.is_anonymous is False
    assert principal.expires_at == issued.expires_at


async def test_issued_anonymous_token_has_the_anonymous_provider():
    settings = AuthSettings(jwt_secret=None)
    issuer = TokenIssuer(settings, SECRET, "http://localhost:8000/auth/v1")
    issued = issuer.issue(
        user_id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        role=Role.customer,
        email=None,
        is_anonymous=True,
        session_id=uuid.uuid4(),
    )
    claims = jwt.decode(issued.token, SECRET, algorithms=["HS256"], audience="authenticated")
    assert claims["is_anonymous"] is True
    assert claims["app_metadata"]["provider"] == "anonymous"
    assert claims["amr"][0]["method"] == "anonymous"
    principal = await TokenVerifier(settings, SECRET).verify(issued.token)
    assert principal.role is Role.customer
    assert principal.is_anonymous is True


async def test_issuer_setting_overrides_the_issuer_url():
    settings = AuthSettings(jwt_secret=None, issuer=ISSUER)
    issuer = TokenIssuer(settings, SECRET, "http://localhost:8000/auth/v1")
    issued = issuer.issue(
        user_id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        role=Role.agent,
        email="a@example.com",
        is_anonymous=False,
        session_id=uuid.uuid4(),
    )
    assert jwt.decode(issued.token, options={"verify_signature": False})["iss"] == ISSUER
    principal = await TokenVerifier(settings, SECRET).verify(issued.token)
    assert principal.role is Role.agent


async def test_issued_token_past_its_ttl_is_expired():
    settings = AuthSettings(jwt_secret=None)
    issuer = TokenIssuer(settings, SECRET, "http://localhost:8000/auth/v1")
    issued = issuer.issue(
        user_id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        role=Role.agent,
        email=None,
        is_anonymous=False,
        session_id=uuid.uuid4(),
        ttl_s=60,
        now=int(time.time()) - 120,
    )
    await rejected(TokenVerifier(settings, SECRET), issued.token, ErrorCode.token_expired)


async def test_issued_token_does_not_verify_with_another_secret():
    settings = AuthSettings(jwt_secret=None)
    issued = TokenIssuer(settings, SECRET, "http://localhost:8000/auth/v1").issue(
        user_id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        role=Role.admin,
        email=None,
        is_anonymous=False,
        session_id=uuid.uuid4(),
    )
    verifier = TokenVerifier(settings, "another-project-secret-" + "y" * 40)
    await rejected(verifier, issued.token)
