"""Rate limits: token buckets per client, per tenant and for customers' messages, answered with
429 and Retry-After, and recovering as time passes (the limiter's clock is moved, no sleeping)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from contactcenter.core.config import RateLimitSettings
from contactcenter.main import create_app
from contactcenter.protection import ratelimit
from contactcenter.protection.ratelimit import TokenBuckets
from tests.builders import Builder


def test_a_bucket_allows_its_burst_then_says_how_long_to_wait() -> None:
    clock = [100.0]
    buckets = TokenBuckets(rate_per_s=2.0, burst=3.0, clock=lambda: clock[0])
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(0.5)
    assert buckets.take("b") == 0.0  # another key has its own bucket
    clock[0] += 0.5
    assert buckets.take("a") == 0.0
    clock[0] += 100
    assert [buckets.take("a") for _ in range(4)][:3] == [0.0, 0.0, 0.0]  # refilled to burst only


@pytest.fixture
async def limited(settings, db, tmp_path, monkeypatch) -> AsyncIterator[httpx.AsyncClient]:
    """An app of its own (own data folder) with small limits, on the session's database."""
    clock = [1000.0]
    monkeypatch.setattr(ratelimit, "now", lambda: clock[0])
    custom = settings.model_copy(
        update={
            "data_dir": tmp_path,
            "ratelimit": RateLimitSettings(
                enabled=True,
                client_per_s=1.0,
                client_burst=5.0,
                tenant_per_s=1000.0,
                tenant_burst=1000.0,
                customer_messages_per_min=60.0,
                customer_messages_burst=2.0,
            ),
            "knowledge": settings.knowledge.model_copy(update={"worker": False}),
        }
    )
    app = create_app(custom)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            c.clock = clock  # type: ignore[attr-defined]
            yield c


async def test_customers_posting_too_fast_get_429_with_retry_after_and_recover(limited, build):
    tenant = await build.tenant()
    builder = Builder(db=build.db, client=limited)
    customer = await builder.customer(tenant)
    conversation = await builder.conversation(customer)
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    ok = [
        await limited.post(url, headers=customer.headers, json={"text": f"question {i}"})
        for i in range(2)
    ]
    assert [r.status_code for r in ok] == [201, 201]
    refused = await limited.post(url, headers=customer.headers, json={"text": "one more"})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["code"] == "rate_limited"
    assert refused.headers["content-type"].startswith("application/problem+json")

    limited.clock[0] += 1.0  # type: ignore[attr-defined]
    again = await limited.post(url, headers=customer.headers, json={"text": "one more"})
    assert again.status_code == 201


async def test_anonymous_callers_are_limited_by_address(limited, build):
    tenant = await build.tenant()
    answers = [
        (await limited.post("/api/v1/widget/session", json={"tenant": tenant.slug})).status_code
        for _ in range(6)
    ]
    assert answers[:5] == [201] * 5 and answers[5] == 429
    assert (await limited.get("/health")).status_code == 200  # not an API route: never limited
