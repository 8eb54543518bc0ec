"""Authentication through the HTTP API: sign-in, tokens, widget sessions, refresh and sign-out."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import text

from contactcenter.auth.principal import Role
from tests.builders import STAFF_PASSWORD, Actor
from tests.conftest import TEST_JWT_SECRET

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"
WIDGET = "/api/v1/widget/session"


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(code.replace("_", "-"))
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == response.request.url.path
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def assert_tokens(body: dict[str, Any], ttl_s: int) -> None:
    assert body["token_type"] == "bearer"
    assert isinstance(body["access_token"], str) and body["access_token"].count(".") == 2
    assert isinstance(body["refresh_token"], str) and len(body["refresh_token"]) >= 32
    assert body["expires_in"] == ttl_s
    assert abs(body["expires_at"] - (time.time() + ttl_s)) < 10


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signed(claims: dict[str, Any], secret: str = TEST_JWT_SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def actor_claims(actor: Actor, **overrides: Any) -> dict[str, Any]:
    claims = {**actor.claims, "exp": int(time.time()) + 300, "iat": int(time.time())}
    claims.update(overrides)
    return claims


async def move_idle(db, user_id: uuid.UUID, idle_s: float) -> None:
    """Pretend the user's sessions were last refreshed `idle_s` seconds ago."""
    async with db.transaction() as s:
        await s.execute(
            text(
                "UPDATE auth_sessions SET refreshed_at = now() - make_interval(secs => :idle)"
                " WHERE user_id = :uid"
            ),
            {"idle": idle_s, "uid": user_id},
        )


async def session_row(db, user_id: uuid.UUID) -> dict[str, Any]:
    async with db.transaction() as s:
        row = (
            await s.execute(
                text(
                    "SELECT id, refresh_token_hash, now() - refreshed_at AS idle, revoked_at"
                    " FROM auth_sessions WHERE user_id = :uid"
                ),
                {"uid": user_id},
            )
        ).one()
    return dict(row._mapping)


@pytest.fixture
def ttl_s(settings) -> int:
    ttl: int = settings.auth.access_token_ttl_s
    return ttl


@pytest.fixture
def idle_timeout_s(settings) -> int:
    timeout: int = settings.auth.session_idle_timeout_s
    assert timeout == 3600
    return timeout


# --- login -------------------------------------------------------------------------------------


async def test_login_returns_tokens_and_user(client, build, ttl_s):
    tenant = await build.tenant()
    staff = await build.staff(tenant, Role.supervisor)
    response = await client.post(LOGIN, json={"email": staff.email, "password": STAFF_PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert_tokens(body, ttl_s)
    assert body["user"] == {
        "id": str(staff.user_id),
        "email": staff.email,
        "role": "supervisor",
        "tenant_id": str(tenant.id),
        "display_name": body["user"]["display_name"],
        "is_anonymous": False,
    }
    claims = jwt.decode(
        body["access_token"], TEST_JWT_SECRET, algorithms=["HS256"], audience="authenticated"
    )
    assert claims["sub"] == str(staff.user_id)
    assert claims["role"] == "authenticated"
    assert claims["is_anonymous"] is False
    assert claims["app_metadata"]["tenant_id"] == str(tenant.id)
    assert claims["app_metadata"]["role"] == "supervisor"
    uuid.UUID(claims["session_id"])


async def test_login_access_token_works_for_me(client, build):
    tenant = await build.tenant()
    agent = await build.staff(tenant, Role.agent)
    response = await client.get(ME, headers=agent.headers)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(agent.user_id)


async def test_login_email_is_case_insensitive(client, build):
    tenant = await build.tenant()
    staff = await build.staff(tenant, Role.admin)
    assert staff.email is not None
    response = await client.post(
        LOGIN, json={"email": staff.email.upper(), "password": STAFF_PASSWORD}
    )
    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == str(staff.user_id)


async def test_login_starts_a_new_session_each_time(client, build, db):
    tenant = await build.tenant()
    staff = await build.staff(tenant)
    response = await client.post(LOGIN, json={"email": staff.email, "password": STAFF_PASSWORD})
    assert response.status_code == 200, response.text
    async with db.transaction() as s:
        count = (
            await s.execute(
                text("SELECT count(*) FROM auth_sessions WHERE user_id = :uid"),
                {"uid": staff.user_id},
            )
        ).scalar_one()
    assert count == 2


async def test_login_wrong_password_and_unknown_email_look_the_same(client, build):
    tenant = await build.tenant()
    staff = await build.staff(tenant)
    wrong_password = await client.post(
        LOGIN, json={"email": staff.email, "password": STAFF_PASSWORD + "!"}
    )
    unknown_email = await client.post(
        LOGIN, json={"email": f"nobody-{uuid.uuid4().hex}@example.com", "password": STAFF_PASSWORD}
    )
    first = assert_problem(wrong_password, 401, "invalid_credentials")
    second = assert_problem(unknown_email, 401, "invalid_credentials")
    assert first["detail"] == second["detail"]
    assert first["title"] == second["title"]
    assert set(first) == set(second)


async def test_login_with_wrong_password_issues_no_session(client, build, db):
    tenant = await build.tenant()
    staff = await build.staff(tenant)
    response = await client.post(LOGIN, json={"email": staff.email, "password": "wrong"})
    assert_problem(response, 401, "invalid_credentials")
    async with db.transaction() as s:
        count = (
            await s.execute(
                text("SELECT count(*) FROM auth_sessions WHERE user_id = :uid"),
                {"uid": staff.user_id},
            )
        ).scalar_one()
    assert count == 1  # only the builder's own sign-in


@pytest.mark.parametrize(
    "email", ["not-an-email", "", "a@", "@example.com", "two@@example.com", "a b@example.com"]
)
async def test_login_malformed_email_is_422(client, email):
    response = await client.post(LOGIN, json={"email": email, "password": STAFF_PASSWORD})
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["loc"] == ["body", "email"]


async def test_login_missing_password_is_422(client):
    response = await client.post(LOGIN, json={"email": "someone@example.com"})
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["loc"] == ["body", "password"]


async def test_login_empty_password_is_422(client):
    response = await client.post(LOGIN, json={"email": "someone@example.com", "password": ""})
    assert_problem(response, 422, "validation_failed")


async def test_login_unknown_field_is_422(client):
    response = await client.post(
        LOGIN, json={"email": "someone@example.com", "password": "x", "role": "admin"}
    )
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["loc"] == ["body", "role"]


async def test_login_malformed_json_is_400(client):
    response = await client.post(
        LOGIN, content=b'{"email": ', headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 400, "malformed_json")


# --- /auth/me ----------------------------------------------------------------------------------


async def test_me_without_token_is_not_authenticated(client):
    response = await client.get(ME)
    assert_problem(response, 401, "not_authenticated")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_me_with_another_scheme_is_not_authenticated(client):
    response = await client.get(ME, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert_problem(response, 401, "not_authenticated")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
async def test_me_with_garbage_token_is_invalid_token(client, token):
    response = await client.get(ME, headers=bearer(token))
    assert_problem(response, 401, "invalid_token")
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_me_with_token_signed_by_another_secret_is_invalid_token(client, build):
    tenant = await build.tenant()
    agent = await build.staff(tenant)
    token = signed(actor_claims(agent), secret="some-other-project-secret-" + "z" * 40)
    response = await client.get(ME, headers=bearer(token))
    assert_problem(response, 401, "invalid_token")


async def test_me_with_expired_token_is_token_expired(client, build):
    tenant = await build.tenant()
    agent = await build.staff(tenant)
    token = signed(actor_claims(agent, exp=int(time.time()) - 60, iat=int(time.time()) - 960))
    response = await client.get(ME, headers=bearer(token))
    assert_problem(response, 401, "token_expired")
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_me_with_service_role_token_is_invalid_token(client, build):
    tenant = await build.tenant()
    agent = await build.staff(tenant)
    token = signed(actor_claims(agent, role="service_role"))
    response = await client.get(ME, headers=bearer(token))
    assert_problem(response, 401, "invalid_token")


async def test_me_returns_the_signed_in_staff_user(client, build):
    tenant = await build.tenant()
    admin = await build.staff(tenant, Role.admin)
    response = await client.get(ME, headers=admin.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == str(admin.user_id)
    assert body["email"] == admin.email
    assert body["role"] == "admin"
    assert body["tenant_id"] == str(tenant.id)
    assert body["is_anonymous"] is False


async def test_me_accepts_a_token_signed_with_the_project_secret(client, build):
    """A Supabase-issued token (same project secret) for a known user works like ours."""
    tenant = await build.tenant()
    agent = await build.staff(tenant)
    response = await client.get(ME, headers=bearer(signed(actor_claims(agent))))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(agent.user_id)


async def test_me_for_a_supabase_user_without_profile_comes_from_claims(client, build):
    tenant = await build.tenant()
    user_id = uuid.uuid4()
    claims = {
        "sub": str(user_id),
        "aud": "authenticated",
        "role": "authenticated",
        "exp": int(time.time()) + 300,
        "email": "new-agent@example.com",
        "is_anonymous": False,
        "app_metadata": {"tenant_id": str(tenant.id), "role": "agent"},
    }
    response = await client.get(ME, headers=bearer(signed(claims)))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == str(user_id)
    assert body["email"] == "new-agent@example.com"
    assert body["role"] == "agent"
    assert body["tenant_id"] == str(tenant.id)


# --- widget sessions ---------------------------------------------------------------------------


async def test_widget_session_for_unknown_tenant_is_404(client):
    response = await client.post(WIDGET, json={"tenant": f"no-such-{uuid.uuid4().hex[:12]}"})
    assert_problem(response, 404, "tenant_not_found")


@pytest.mark.parametrize(
    "slug",
    ["Demo", "DEMO", "my tenant", " demo", "demo\x00", "\x00", "", "-demo", "a" * 64, "dé"],
    ids=[
        "capital",
        "upper",
        "space",
        "leading-space",
        "nul",
        "only-nul",
        "empty",
        "leading-dash",
        "too-long",
        "non-ascii",
    ],
)
async def test_widget_session_bad_slug_is_422(client, slug):
    response = await client.post(WIDGET, json={"tenant": slug})
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["loc"] == ["body", "tenant"]


@pytest.mark.parametrize("body", [{}, {"tenant": None}, {"tenant": 5}, {"slug": "demo"}])
async def test_widget_session_malformed_body_is_422(client, body):
    response = await client.post(WIDGET, json=body)
    assert_problem(response, 422, "validation_failed")


async def test_widget_session_starts_an_anonymous_customer(client, build, ttl_s):
    tenant = await build.tenant()
    response = await client.post(WIDGET, json={"tenant": tenant.slug})
    assert response.status_code == 201, response.text
    body = response.json()
    assert_tokens(body, ttl_s)
    user = body["user"]
    assert user["role"] == "customer"
    assert user["is_anonymous"] is True
    assert user["email"] is None
    assert user["tenant_id"] == str(tenant.id)
    claims = jwt.decode(
        body["access_token"], TEST_JWT_SECRET, algorithms=["HS256"], audience="authenticated"
    )
    assert claims["sub"] == user["id"]
    assert claims["is_anonymous"] is True
    assert claims["app_metadata"]["role"] == "customer"
    assert claims["app_metadata"]["provider"] == "anonymous"

    me = await client.get(ME, headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == user["id"]
    assert me.json()["is_anonymous"] is True


async def test_each_widget_session_is_a_new_customer(client, build):
    tenant = await build.tenant()
    first = await build.customer(tenant)
    second = await build.customer(tenant)
    assert first.user_id != second.user_id


# --- refresh -----------------------------------------------------------------------------------


async def test_refresh_returns_new_tokens_and_rotates(client, build, db, ttl_s):
    tenant = await build.tenant()
    agent = await build.staff(tenant)
    before = await session_row(db, agent.user_id)

    response = await client.post(REFRESH, json={"refresh_token": agent.refresh_token})
    assert response.status_code == 200, response.text
    body = response.json()
    assert_tokens(body, ttl_s)
    assert body["refresh_token"] != agent.refresh_token
    assert body["access_token"] != agent.access_token
    assert body["user"]["id"] == str(agent.user_id)
    assert body["user"]["role"] == "agent"
    new_claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    old_claims = jwt.decode(agent.access_token, options={"verify_signature": False})
    assert new_claims["session_id"] == old_claims["session_id"] == str(before["id"])

    after = await session_row(db, agent.user_id)
    assert after["id"] == before["id"]
    assert after["refresh_token_hash"] != before["refresh_token_hash"]

    # the old refresh token was rotated away
    again = await client.post(REFRESH, json={"refresh_token": agent.refresh_token})
    assert_problem(again, 401, "session_expired")
    # the new one works, once
    newer = await client.post(REFRESH, json={"refresh_token": body["refresh_token"]})
    assert newer.status_code == 200, newer.text
    me = await client.get(ME, headers=bearer(newer.json()["access_token"]))
    assert me.status_code == 200, me.text


async def test_concurrent_refreshes_with_one_token_succeed_once(client, build):
    tenant = await build.tenant()
    agent = await build.staff(tenant)
    responses = await asyncio.gather(
        *(client.post(REFRESH, json={"refresh_token": agent.refresh_token}) for _ in range(4))
    )
    ok = [r for r in responses if r.status_code == 200]
    assert len(ok) == 1, [r.text for r in responses]
    for r in responses:
        if r.status_code != 200:
            assert_problem(r, 401, "session_expired")


async def test_refresh_of_a_widget_session_keeps_the_customer(client, build):
    tenant = await build.tenant()
    customer = await build.customer(tenant)
    response = await client.post(REFRESH, json={"refresh_token": customer.refresh_token})
    assert response.status_code == 200, response.text
    user = response.json()["user"]
    assert user["id"] == str(customer.user_id)
    assert user["role"] == "customer"
    assert user["is_anonymous"] is True


async def test_refresh_with_unknown_token_is_session_expired(client):
    response = await client.post(REFRESH, json={"refresh_token": "x" * 43})
    assert_problem(response, 401, "session_expired")


async def test_refresh_with_access_token_is_rejected(client, build):
    tenant = await build.tenant()
    agent = await build.staff(tenant)
    response = await client.post(REFRESH, json={"refresh_token": agent.access_token})
    # an access token is far longer than any refresh token: refused by validation
    assert_problem(response, 422, "validation_failed")


@pytest.mark.parametrize(
    "body",
    [{}, {"refresh_token": ""}, {"refresh_token": "short"}, {"refresh_token": "a" * 201}],
    ids=["missing", "empty", "short", "long"],
)
async def test_refresh_malformed_body_is_422(client, body):
    response = await client.post(REFRESH, json=body)
    assert_problem(response, 422, "validation_failed")


async def test_refresh_with_nul_is_422(client):
    response = await client.post(REFRESH, json={"refresh_token": "abcdefghij\x00klmnop"})
    assert_problem(response, 422, "validation_failed")


async def test_refresh_after_idle_timeout_is_session_expired(client, build, db, idle_timeout_s):
    tenant = await build.tenant()
    agent = await build.staff(tenant)
    await move_idle(db, agent.user_id, idle_timeout_s + 60)  # 61 minutes
    response = await client.post(REFRESH, json={"refresh_token": agent.refresh_token})
    body = assert_problem(response, 401, "session_expired")
    assert "inactivity" in body["detail"]
    # and it stays expired
    again = await client.post(REFRESH, json={"refresh_token": agent.refresh_token})
    assert_problem(again, 401, "session_expired")
    row = await session_row(db, agent.user_id)
    assert row["idle"] > timedelta(seconds=idle_timeout_s)


async def test_refresh_just_before_idle_timeout_extends_the_session(
    client, build, db, idle_timeout_s
):
    tenant = await build.tenant()
    customer = await build.customer(tenant)
    await move_idle(db, customer.user_id, idle_timeout_s - 60)  # 59 minutes
    response = await client.post(REFRESH, json={"refresh_token": customer.refresh_token})
    assert response.status_code == 200, response.text
    row = await session_row(db, customer.user_id)
    assert row["idle"] < timedelta(seconds=10)  # refreshed_at moved to now

    # another 59 minutes later the session is still alive, because the clock restarted
    await move_idle(db, customer.user_id, idle_timeout_s - 60)
    later = await client.post(REFRESH, json={"refresh_token": response.json()["refresh_token"]})
    assert later.status_code == 200, later.text


# --- logout ------------------------------------------------------------------------------------


async def test_logout_ends_the_session(client, build, db):
    tenant = await build.tenant()
    agent = await build.staff(tenant)
    response = await client.post(LOGOUT, headers=agent.headers)
    assert response.status_code == 204, response.text
    assert response.content == b""
    row = await session_row(db, agent.user_id)
    assert row["revoked_at"] is not None

    refresh = await client.post(REFRESH, json={"refresh_token": agent.refresh_token})
    assert_problem(refresh, 401, "session_expired")


async def test_logout_of_a_widget_session(client, build):
    tenant = await build.tenant()
    customer = await build.customer(tenant)
    response = await client.post(LOGOUT, headers=customer.headers)
    assert response.status_code == 204, response.text
    refresh = await client.post(REFRESH, json={"refresh_token": customer.refresh_token})
    assert_problem(refresh, 401, "session_expired")


async def test_logout_after_refresh_ends_the_rotated_session(client, build):
    tenant = await build.tenant()
    agent = await build.staff(tenant)
    refreshed = await client.post(REFRESH, json={"refresh_token": agent.refresh_token})
    assert refreshed.status_code == 200, refreshed.text
    tokens = refreshed.json()
    response = await client.post(LOGOUT, headers=bearer(tokens["access_token"]))
    assert response.status_code == 204, response.text
    refresh = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert_problem(refresh, 401, "session_expired")


async def test_logout_leaves_other_sessions_alone(client, build):
    tenant = await build.tenant()
    agent = await build.staff(tenant)
    second = await client.post(LOGIN, json={"email": agent.email, "password": STAFF_PASSWORD})
    assert second.status_code == 200, second.text

    response = await client.post(LOGOUT, headers=agent.headers)
    assert response.status_code == 204, response.text

    other = await client.post(REFRESH, json={"refresh_token": second.json()["refresh_token"]})
    assert other.status_code == 200, other.text


async def test_logout_twice_is_still_204(client, build):
    tenant = await build.tenant()
    agent = await build.staff(tenant)
    first = await client.post(LOGOUT, headers=agent.headers)
    second = await client.post(LOGOUT, headers=agent.headers)
    assert first.status_code == 204, first.text
    assert second.status_code == 204, second.text


async def test_logout_without_token_is_not_authenticated(client):
    response = await client.post(LOGOUT)
    assert_problem(response, 401, "not_authenticated")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_logout_with_garbage_token_is_invalid_token(client):
    response = await client.post(LOGOUT, headers=bearer("garbage"))
    assert_problem(response, 401, "invalid_token")
