"""`POST /api/v1/classify`: the offline triage through the API."""

from __future__ import annotations

import pytest

from contactcenter.auth.principal import Role
from tests.test_api_conversations import assert_problem

URL = "/api/v1/classify"


@pytest.fixture
async def agent(build):
    return await build.staff(await build.tenant(), Role.agent)


@pytest.mark.parametrize(
    ("message", "category"),
    [
        (
            "I took two doses of my blood pressure pills by mistake and feel faint",
            "safety_compliance",
        ),
        ("Where is my order? It was supposed to arrive yesterday", "service_action"),
        ("What time does the pharmacy close on Saturdays?", "informational"),
    ],
)
async def test_classify_returns_the_category_and_why(client, agent, message, category):
    response = await client.post(
        URL, headers=agent.headers, json={"message": message, "channel": "web", "metadata": {}}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["category"] == category
    assert 0 <= body["confidence"] <= 1
    assert body["decision_path"] and all(isinstance(s, str) for s in body["decision_path"])
    assert body["next_step"]
    assert body["request_id"] == response.headers["x-request-id"]
    assert body["processing_time_ms"] > 0


async def test_classify_validates_and_checks_the_caller(client, agent, build):
    for bad in (
        {"message": ""},
        {"message": "x" * 4001},
        {"message": "hi\x00"},
        {"message": "hi", "channel": "carrier-pigeon"},
        {},
    ):
        assert_problem(
            await client.post(URL, headers=agent.headers, json=bad), 422, "validation_failed"
        )
    customer = await build.customer(await build.tenant())
    assert_problem(
        await client.post(URL, headers=customer.headers, json={"message": "hi"}), 403, "forbidden"
    )
    assert_problem(await client.post(URL, json={"message": "hi"}), 401, "not_authenticated")
