"""Lifecycle sweeps with time moved forward (no sleeping): escalation of waiting drafts,
session expiry, retention; exactly once across two schedulers; the threshold advisor."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from contactcenter.auth.principal import Role
from contactcenter.jobs.scheduler import SWEEPS, run_exclusive
from contactcenter.jobs.sweeps import HOLDING_MESSAGE
from contactcenter.pipeline.jobs import ReplyWorker
from contactcenter.tickets import LocalTicketAdapter
from tests.test_pipeline import messages_of, rows, set_threshold


@pytest.fixture
async def shop(app, db, build) -> dict[str, Any]:
    """A tenant whose AI drafts everything, with short limits of its own: the sweeps are
    global, and other tenants' default limits keep their data out of these tests."""
    tenant = await build.tenant("Quay Pharmacy")
    await set_threshold(db, tenant.id, 1.0)
    async with db.transaction() as session:
        await session.execute(
            text(
                "UPDATE tenants SET escalation_after_s = 60, session_idle_s = 600, "
                "retention_days = 1 WHERE id = :t"
            ),
            {"t": tenant.id},
        )
    return {
        "tenant": tenant,
        "agent": await build.staff(tenant, Role.agent),
        "supervisor": await build.staff(tenant, Role.supervisor),
        "worker": ReplyWorker(app.state.settings, db, app.state.pipeline, LocalTicketAdapter()),
    }


async def ask(shop, build, question: str) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    customer = await build.customer(shop["tenant"])
    conversation = await build.conversation(customer)
    message = await build.message(customer, conversation["id"], question)
    await shop["worker"].drain(shop["tenant"].id)
    return customer, conversation, message


def later(**delta: float) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)


async def draft_of(db, message) -> dict[str, Any]:
    (draft,) = await rows(db, "SELECT * FROM drafts WHERE message_id = :m", m=message["id"])
    return draft


async def test_a_draft_waiting_past_the_limit_is_escalated_once(app, shop, build, client, db):
    settings = app.state.settings
    customer, conversation, message = await ask(shop, build, "Do you sell gift cards?")
    await run_exclusive(db, settings, "escalation", now=later(seconds=30))
    assert (await draft_of(db, message))["escalated_at"] is None  # not yet

    await run_exclusive(db, settings, "escalation", now=later(seconds=90))
    draft = await draft_of(db, message)
    assert draft["escalated_at"] is not None and draft["priority"] == "high"
    texts = await messages_of(client, customer, conversation["id"])
    assert [m["text"] for m in texts].count(HOLDING_MESSAGE) == 1

    # a second pass changes nothing: no second raise, no second holding message
    await run_exclusive(db, settings, "escalation", now=later(seconds=300))
    assert (await draft_of(db, message))["priority"] == "high"
    texts = await messages_of(client, customer, conversation["id"])
    assert [m["text"] for m in texts].count(HOLDING_MESSAGE) == 1
    (event,) = await rows(
        db,
        "SELECT before, after FROM audit_events "
        "WHERE subject_id = :d AND action = 'draft.escalated'",
        d=draft["id"],
    )
    assert event["before"] == {"priority": "normal"} and event["after"]["priority"] == "high"


async def test_two_schedulers_run_a_sweep_once(app, shop, build, client, db):
    settings = app.state.settings
    customer, conversation, message = await ask(shop, build, "Can I park outside?")
    _, real = SWEEPS["escalation"]
    started = asyncio.Event()

    async def slow(db_, settings_, now):
        started.set()
        await asyncio.sleep(0.3)  # holds the lock while the other scheduler tries
        return await real(db_, settings_, now)

    first = asyncio.create_task(
        run_exclusive(db, settings, "escalation", now=later(seconds=90), sweep=slow)
    )
    await started.wait()
    second = await run_exclusive(db, settings, "escalation", now=later(seconds=90), sweep=slow)
    assert second is None  # the other process holds it: this tick is skipped
    assert (await first) is not None
    texts = await messages_of(client, customer, conversation["id"])
    assert [m["text"] for m in texts].count(HOLDING_MESSAGE) == 1
    assert (await draft_of(db, message))["priority"] == "high"


async def test_an_idle_conversation_expires_and_its_drafts_are_superseded(
    app, shop, build, client, db
):
    settings = app.state.settings
    _, idle, message = await ask(shop, build, "Do you sell gift cards?")
    await run_exclusive(db, settings, "expiry", now=later(seconds=300))
    agent = shop["agent"]
    still = await client.get(f"/api/v1/conversations/{idle['id']}", headers=agent.headers)
    assert still.json()["status"] == "pending_human"

    await run_exclusive(db, settings, "expiry", now=later(seconds=700))
    gone = await client.get(f"/api/v1/conversations/{idle['id']}", headers=agent.headers)
    assert gone.json()["status"] == "expired" and gone.json()["closed_at"]
    assert (await draft_of(db, message))["status"] == "superseded"
    (event,) = await rows(
        db,
        "SELECT after FROM audit_events WHERE subject_id = :c AND action = 'conversation.expired'",
        c=idle["id"],
    )
    assert event["after"]["status"] == "expired"


async def test_retention_purges_old_conversations_and_audits_the_purge(app, shop, build, db):
    settings = app.state.settings
    _, old, message = await ask(shop, build, "Do you sell gift cards?")
    await run_exclusive(db, settings, "retention", now=later(hours=12))
    assert await rows(db, "SELECT id FROM conversations WHERE id = :c", c=old["id"])

    await run_exclusive(db, settings, "retention", now=later(days=2))
    for table, column in (
        ("conversations", "id"),
        ("messages", "conversation_id"),
        ("drafts", "conversation_id"),
        ("ai_outcomes", "conversation_id"),
        ("reply_jobs", "conversation_id"),
        ("audit_events", "conversation_id"),
    ):
        left = await rows(db, f"SELECT 1 FROM {table} WHERE {column} = :c", c=old["id"])  # noqa: S608
        assert left == [], table
    (purge,) = await rows(
        db,
        "SELECT actor_kind, after FROM audit_events WHERE tenant_id = :t "
        "AND action = 'retention.purged'",
        t=shop["tenant"].id,
    )
    assert purge["actor_kind"] == "system"
    assert purge["after"]["conversations"] == 1 and purge["after"]["messages"] >= 2
    assert purge["after"]["drafts"] == 1 and purge["after"]["audit_events"] >= 3
    assert message


async def test_the_threshold_advisor_reports_from_reviewers_decisions(shop, build, client, db):
    confidences = [0.9, 0.85, 0.6, 0.55]
    drafts = []
    for question, confidence in zip(
        ["Gift cards?", "Parking?", "Loyalty points?", "Photo printing?"], confidences, strict=True
    ):
        _, _, message = await ask(shop, build, question)
        async with db.transaction() as session:
            await session.execute(
                text("UPDATE drafts SET confidence = :c WHERE message_id = :m"),
                {"c": confidence, "m": message["id"]},
            )
            await session.execute(
                text("UPDATE ai_outcomes SET confidence = :c WHERE message_id = :m"),
                {"c": confidence, "m": message["id"]},
            )
        drafts.append(str((await draft_of(db, message))["id"]))
    agent = shop["agent"]
    for draft_id, (action, body) in zip(
        drafts,
        [
            ("approve", None),
            ("approve", None),
            ("reject", {"reason": "wrong"}),
            ("edit", {"text": "Yes"}),
        ],
        strict=True,
    ):
        response = await client.post(
            f"/api/v1/drafts/{draft_id}/{action}", headers=agent.headers, json=body
        )
        assert response.status_code == 200, response.text

    denied = await client.get("/api/v1/analytics/threshold-advice", headers=agent.headers)
    assert denied.status_code == 403
    advice = await client.get(
        "/api/v1/analytics/threshold-advice", headers=shop["supervisor"].headers
    )
    assert advice.status_code == 200, advice.text
    body = advice.json()
    assert (body["answerable"], body["reviewed"], body["current_threshold"]) == (4, 4, 1.0)
    options = {o["threshold"]: o for o in body["options"]}
    assert options[0.8]["predicted_auto_send_rate"] == 0.5
    assert options[0.8]["predicted_approved_unchanged"] == 1.0
    assert options[0.8]["reviewed"] == 2
    assert 0 < options[0.8]["approved_unchanged_lower_bound"] < 1.0  # two reviews prove little
    assert options[0.5]["predicted_auto_send_rate"] == 1.0
    assert options[0.5]["predicted_approved_unchanged"] == 0.5
    assert options[0.95]["reviewed"] == 0
    assert options[0.95]["predicted_approved_unchanged"] is None
    band = next(b for b in body["bands"] if b["low"] == 0.8)
    assert (band["reviewed"], band["approved"], band["approve_rate"]) == (2, 2, 1.0)
    rejected = next(b for b in body["bands"] if b["low"] == 0.6)
    edited = next(b for b in body["bands"] if b["low"] == 0.5)
    assert (rejected["rejected"], rejected["reject_rate"]) == (1, 1.0)
    assert (edited["edited"], edited["edit_rate"]) == (1, 1.0)


async def test_the_dashboard_agrees_with_a_scripted_floor(app, db, build, client):
    tenant = await build.tenant("Dock Pharmacy")
    agent = await build.staff(tenant, Role.agent)
    supervisor = await build.staff(tenant, Role.supervisor)
    worker = ReplyWorker(app.state.settings, db, app.state.pipeline, LocalTicketAdapter())
    asked = {}
    for key, question in (
        ("gift", "Do you sell gift cards?"),
        ("park", "Can I park outside the shop?"),
        ("order", "Where is my order 48213? It still hasn't arrived."),
        ("safety", "I took my tablets twice this morning by mistake and feel dizzy"),
    ):
        customer = await build.customer(tenant)
        conversation = await build.conversation(customer)
        asked[key] = await build.message(customer, conversation["id"], question)
    await worker.drain(tenant.id)
    outcomes = await rows(
        db, "SELECT decision, category FROM ai_outcomes WHERE tenant_id = :t", t=tenant.id
    )
    drafts = {
        key: (await rows(db, "SELECT id FROM drafts WHERE message_id = :m", m=m["id"]))
        for key, m in asked.items()
    }
    assert drafts["gift"] and drafts["park"] and drafts["safety"]
    gift, park, safety = (str(drafts[k][0]["id"]) for k in ("gift", "park", "safety"))
    assert (await client.post(f"/api/v1/drafts/{gift}/approve", headers=agent.headers)).is_success
    rejected = await client.post(
        f"/api/v1/drafts/{park}/reject", headers=agent.headers, json={"reason": "no"}
    )
    assert rejected.is_success
    assert (await client.post(f"/api/v1/drafts/{safety}/claim", headers=agent.headers)).is_success

    denied = await client.get("/api/v1/analytics/dashboard", headers=agent.headers)
    assert denied.status_code == 403
    response = await client.get("/api/v1/analytics/dashboard", headers=supervisor.headers)
    assert response.status_code == 200, response.text
    board = response.json()
    by_decision: dict[str, int] = {}
    by_category: dict[str, int] = {}
    for o in outcomes:
        by_decision[o["decision"]] = by_decision.get(o["decision"], 0) + 1
        by_category[o["category"]] = by_category.get(o["category"], 0) + 1
    assert board["replies"] == 4 and board["decisions"] == by_decision
    assert board["category_mix"] == by_category
    assert board["auto_send_rate"] == round(by_decision.get("auto_sent", 0) / 4, 4)
    assert board["escalations"]["safety"] == 1
    assert board["reviews"] == {"approved": 1, "rejected": 1}
    assert (board["approve_rate"], board["reject_rate"], board["edit_rate"]) == (0.5, 0.5, 0.0)
    pending = 4 - 2 - by_decision.get("auto_sent", 0)  # drafts made minus decided
    assert board["queue_depth"] == pending
    assert board["oldest_pending_age_s"] is not None and board["oldest_pending_age_s"] >= 0
    assert board["active_conversations"] == 4
    assert sum(board["confidence_histogram"]) == 4
    assert board["latency"]["total"]["p50_ms"] > 0
    (load,) = board["agents"]
    assert (load["agent_id"], load["claimed_now"], load["decided"]) == (str(agent.user_id), 1, 2)
    assert load["name"] == agent.email  # no display name: the e-mail names the agent
    assert board["llm_tokens"] == 0 and board["llm_cost_usd"] == 0.0
    assert board["sla_breaches"] == {"drafts_past_limit": 0, "customers_waiting": 0}
