"""The approval queue and conversation control through the API: ordering, claims, decisions
(one winner under a race), what the customer receives, take-over, notes, resolve, audit, and
role and tenant checks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from contactcenter.auth.principal import Role
from contactcenter.pipeline.jobs import ReplyWorker
from contactcenter.tickets import LocalTicketAdapter
from tests.test_pipeline import messages_of, rows, set_threshold


@pytest.fixture
async def floor(app, db, build) -> dict[str, Any]:
    """A tenant whose AI drafts everything (threshold 1.0), with two agents and a supervisor."""
    tenant = await build.tenant("Harbour Pharmacy")
    await set_threshold(db, tenant.id, 1.0)
    return {
        "tenant": tenant,
        "ann": await build.staff(tenant, Role.agent),
        "bob": await build.staff(tenant, Role.agent),
        "sue": await build.staff(tenant, Role.supervisor),
        "worker": ReplyWorker(app.state.settings, db, app.state.pipeline, LocalTicketAdapter()),
    }


async def drafted(floor, build, question: str) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """A customer asks; the AI drafts. Returns the customer, the conversation and the draft."""
    customer = await build.customer(floor["tenant"])
    conversation = await build.conversation(customer)
    message = await build.message(customer, conversation["id"], question)
    await floor["worker"].drain(floor["tenant"].id)
    (draft,) = await rows(build.db, "SELECT id FROM drafts WHERE message_id = :m", m=message["id"])
    return customer, conversation, {"id": str(draft["id"]), "message_id": message["id"]}


def url(draft: dict[str, Any], action: str = "") -> str:
    return f"/api/v1/drafts/{draft['id']}" + (f"/{action}" if action else "")


async def test_the_queue_puts_safety_first_then_urgency_then_age(floor, build, client):
    _, _, first = await drafted(floor, build, "Do you sell gift cards?")
    _, _, second = await drafted(floor, build, "Can I park outside the shop?")
    _, _, safety = await drafted(
        floor, build, "My daughter swallowed several of my sleeping pills, what do I do?"
    )
    response = await client.get("/api/v1/drafts", headers=floor["ann"].headers)
    assert response.status_code == 200, response.text
    ids = [d["id"] for d in response.json()["items"]]
    assert ids == [safety["id"], first["id"], second["id"]]
    # rows carry the customer's question, so agents can triage from the list
    assert [d["question"] for d in response.json()["items"]][1:] == [
        "Do you sell gift cards?",
        "Can I park outside the shop?",
    ]
    urgent = response.json()["items"][0]
    assert (urgent["category"], urgent["priority"], urgent["status"]) == (
        "safety_compliance",
        "urgent",
        "pending_review",
    )
    # paging walks the same order
    page = await client.get("/api/v1/drafts?limit=2", headers=floor["ann"].headers)
    rest = await client.get(
        f"/api/v1/drafts?limit=2&cursor={page.json()['next_cursor']}",
        headers=floor["ann"].headers,
    )
    assert [d["id"] for d in page.json()["items"] + rest.json()["items"]] == ids
    assert rest.json()["next_cursor"] is None
    only_safety = await client.get(
        "/api/v1/drafts?category=safety_compliance", headers=floor["ann"].headers
    )
    assert [d["id"] for d in only_safety.json()["items"]] == [safety["id"]]
    bad = await client.get("/api/v1/drafts?cursor=nonsense", headers=floor["ann"].headers)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_cursor"


async def test_a_claim_locks_out_others_until_it_expires(floor, build, client, db):
    _, _, draft = await drafted(floor, build, "Do you sell gift cards?")
    ann, bob = floor["ann"], floor["bob"]
    claimed = await client.post(url(draft, "claim"), headers=ann.headers)
    assert claimed.status_code == 200 and claimed.json()["claimed_by"] == str(ann.user_id)
    refused = await client.post(url(draft, "claim"), headers=bob.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "draft_claimed"
    assert refused.json()["claimed_by"] == str(ann.user_id)
    blocked = await client.post(url(draft, "approve"), headers=bob.headers)
    assert blocked.status_code == 409 and blocked.json()["code"] == "draft_claimed"
    # time passes: the claim runs out, and Bob may take it
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE drafts SET claim_expires_at = now() - interval '1 second' WHERE id = :d"),
            {"d": draft["id"]},
        )
    taken = await client.post(url(draft, "claim"), headers=bob.headers)
    assert taken.status_code == 200 and taken.json()["claimed_by"] == str(bob.user_id)
    released = await client.post(url(draft, "release"), headers=bob.headers)
    assert released.status_code == 200 and released.json()["claimed_by"] is None


async def test_approve_sends_the_draft_unchanged_and_records_the_decision(floor, build, client, db):
    customer, conversation, draft = await drafted(floor, build, "Do you sell gift cards?")
    before = (await client.get(url(draft), headers=floor["ann"].headers)).json()
    assert before["question"] == "Do you sell gift cards?"
    assert before["outcome"]["decision"] == "draft"
    approved = await client.post(url(draft, "approve"), headers=floor["ann"].headers)
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "approved" and body["decided_by"] == str(floor["ann"].user_id)
    assert body["sent_text"] == before["draft"]["text"]
    texts = await messages_of(client, customer, conversation["id"])
    assert texts[-1]["text"] == before["draft"]["text"]
    assert texts[-1]["author_kind"] == "ai"
    assert texts[-1]["metadata"]["approved_by"] == str(floor["ann"].user_id)
    (row,) = await rows(db, "SELECT policy FROM drafts WHERE id = :d", d=draft["id"])
    assert row["policy"] == {"confidence_threshold": 1.0}
    # the conversation goes back to the AI once nothing waits
    conv = await client.get(
        f"/api/v1/conversations/{conversation['id']}", headers=floor["ann"].headers
    )
    assert conv.json()["status"] == "open"


async def test_two_agents_approving_at_once_one_wins(floor, build, client):
    customer, conversation, draft = await drafted(floor, build, "Do you sell gift cards?")
    a, b = await asyncio.gather(
        client.post(url(draft, "approve"), headers=floor["ann"].headers),
        client.post(url(draft, "approve"), headers=floor["bob"].headers),
    )
    assert sorted([a.status_code, b.status_code]) == [200, 409]
    loser = a if a.status_code == 409 else b
    winner = b if loser is a else a
    assert loser.json()["code"] == "draft_decided"
    assert loser.json()["decided_by"] == winner.json()["decided_by"]
    texts = await messages_of(client, customer, conversation["id"])
    assert sum(1 for m in texts if m["metadata"].get("draft_id") == draft["id"]) == 1


async def test_edit_sends_the_agents_text_and_keeps_the_original(floor, build, client, db):
    customer, conversation, draft = await drafted(floor, build, "Do you sell gift cards?")
    original = (await client.get(url(draft), headers=floor["ann"].headers)).json()["draft"]
    blank = await client.post(url(draft, "edit"), headers=floor["ann"].headers, json={"text": " "})
    assert blank.status_code == 422
    edited = await client.post(
        url(draft, "edit"),
        headers=floor["ann"].headers,
        json={"text": "Yes, gift cards from $10 are at the counter."},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "edited"
    assert edited.json()["text"] == original["text"]  # the AI's draft, kept
    assert edited.json()["sent_text"] == "Yes, gift cards from $10 are at the counter."
    texts = await messages_of(client, customer, conversation["id"])
    assert texts[-1]["text"] == "Yes, gift cards from $10 are at the counter."
    assert texts[-1]["author_kind"] == "agent"
    (event,) = await rows(
        db,
        "SELECT before, after FROM audit_events WHERE subject_id = :d AND action = 'draft.edited'",
        d=draft["id"],
    )
    assert event["before"]["text"] == original["text"]
    assert event["after"]["sent_text"] == "Yes, gift cards from $10 are at the counter."


async def test_reject_sends_nothing_and_keeps_the_reason(floor, build, client):
    customer, conversation, draft = await drafted(floor, build, "Do you sell gift cards?")
    count = len(await messages_of(client, customer, conversation["id"]))
    missing = await client.post(url(draft, "reject"), headers=floor["ann"].headers, json={})
    assert missing.status_code == 422
    rejected = await client.post(
        url(draft, "reject"), headers=floor["ann"].headers, json={"reason": "wrong product"}
    )
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["decision_note"]) == (
        "rejected",
        "wrong product",
    )
    assert len(await messages_of(client, customer, conversation["id"])) == count
    again = await client.post(url(draft, "approve"), headers=floor["bob"].headers)
    assert again.status_code == 409 and again.json()["status"] == "rejected"


async def test_a_draft_without_text_cannot_be_approved(floor, build, client, db):
    _, _, draft = await drafted(floor, build, "Do you sell gift cards?")
    async with db.transaction() as session:
        await session.execute(text("UPDATE drafts SET text = '' WHERE id = :d"), {"d": draft["id"]})
    response = await client.post(url(draft, "approve"), headers=floor["ann"].headers)
    assert response.status_code == 422 and "edit" in response.json()["detail"]


async def test_take_over_note_hand_back_and_resolve(floor, build, client, db):
    customer, conversation, draft = await drafted(floor, build, "Do you sell gift cards?")
    cid = conversation["id"]
    ann = floor["ann"]
    taken = await client.post(f"/api/v1/conversations/{cid}/takeover", headers=ann.headers)
    assert taken.status_code == 200
    assert taken.json()["ai_paused"] is True and taken.json()["assigned_to"] == str(ann.user_id)

    # while an agent holds it, the AI only suggests: a draft, and nothing to the customer
    before = len(await messages_of(client, customer, cid))
    message = await build.message(customer, cid, "Also, are you open late on Friday?")
    await floor["worker"].drain(floor["tenant"].id)
    (suggestion,) = await rows(
        db, "SELECT reason FROM drafts WHERE message_id = :m", m=message["id"]
    )
    assert suggestion["reason"] == "human_control"
    assert len(await messages_of(client, customer, cid)) == before + 1  # only the question

    note = await client.post(
        f"/api/v1/conversations/{cid}/notes", headers=ann.headers, json={"text": "VIP customer"}
    )
    assert note.status_code == 201 and note.json()["visibility"] == "internal"
    assert all(m["text"] != "VIP customer" for m in await messages_of(client, customer, cid))
    assert any(m["text"] == "VIP customer" for m in await messages_of(client, ann, cid))

    back = await client.post(f"/api/v1/conversations/{cid}/handback", headers=ann.headers)
    assert back.json()["ai_paused"] is False and back.json()["status"] == "open"
    resolved = await client.post(f"/api/v1/conversations/{cid}/resolve", headers=ann.headers)
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    statuses = await rows(db, "SELECT status FROM drafts WHERE conversation_id = :c", c=cid)
    assert {s["status"] for s in statuses} == {"superseded"}
    late = await client.post(url(draft, "approve"), headers=ann.headers)
    assert late.status_code == 409
    closed = await client.post(f"/api/v1/conversations/{cid}/takeover", headers=ann.headers)
    assert closed.status_code == 409 and closed.json()["code"] == "conversation_closed"


async def test_the_audit_trail_tells_the_whole_story_to_supervisors(floor, build, client):
    customer, conversation, draft = await drafted(floor, build, "Do you sell gift cards?")
    await client.post(url(draft, "claim"), headers=floor["ann"].headers)
    await client.post(url(draft, "approve"), headers=floor["ann"].headers)
    audit_url = f"/api/v1/conversations/{conversation['id']}/audit"
    denied = await client.get(audit_url, headers=floor["ann"].headers)
    assert denied.status_code == 403
    trail = await client.get(audit_url, headers=floor["sue"].headers)
    assert trail.status_code == 200
    actions = [e["action"] for e in trail.json()]
    for expected in (
        "conversation.created",
        "message.created",
        "ai.outcome",
        "draft.created",
        "conversation.handed_over",
        "draft.claimed",
        "draft.approved",
        "conversation.back_to_ai",
    ):
        assert expected in actions, (expected, actions)
    assert actions.index("draft.created") < actions.index("draft.approved")
    approved = next(e for e in trail.json() if e["action"] == "draft.approved")
    assert approved["actor_id"] == str(floor["ann"].user_id)
    assert approved["before"]["status"] == "pending_review"
    assert approved["after"]["policy"] == {"confidence_threshold": 1.0}
    assert customer


async def test_customers_and_other_tenants_can_do_none_of_it(floor, build, client):
    customer, conversation, draft = await drafted(floor, build, "Do you sell gift cards?")
    outsider = await build.staff(await build.tenant(), Role.agent)
    cid = conversation["id"]
    calls = [
        ("GET", "/api/v1/drafts", None),
        ("GET", url(draft), None),
        ("POST", url(draft, "claim"), None),
        ("POST", url(draft, "release"), None),
        ("POST", url(draft, "approve"), None),
        ("POST", url(draft, "edit"), {"text": "x"}),
        ("POST", url(draft, "reject"), {"reason": "x"}),
        ("POST", url(draft, "retry"), {"hint": "x"}),
        ("POST", f"/api/v1/conversations/{cid}/takeover", None),
        ("POST", f"/api/v1/conversations/{cid}/handback", None),
        ("POST", f"/api/v1/conversations/{cid}/resolve", None),
        ("POST", f"/api/v1/conversations/{cid}/notes", {"text": "x"}),
        ("GET", f"/api/v1/conversations/{cid}/audit", None),
    ]
    for method, path, body in calls:
        as_customer = await client.request(method, path, headers=customer.headers, json=body)
        assert as_customer.status_code == 403, (path, as_customer.text)
        as_outsider = await client.request(method, path, headers=outsider.headers, json=body)
        if path == "/api/v1/drafts":
            assert as_outsider.json()["items"] == []
        elif path.endswith("/audit"):
            assert as_outsider.status_code == 403  # agents never read it
        else:
            assert as_outsider.status_code == 404, (path, as_outsider.text)
    anonymous = await client.get("/api/v1/drafts")
    assert anonymous.status_code == 401


async def test_after_a_rejection_the_ai_tries_again_with_a_hint(floor, build, client, db):
    customer, conversation, draft = await drafted(floor, build, "Do you sell gift cards?")
    ann = floor["ann"]
    hint = {"hint": "Say gift cards are sold at the counter from $10."}
    early = await client.post(url(draft, "retry"), headers=ann.headers, json=hint)
    assert early.status_code == 409 and "reject it first" in early.json()["detail"]
    await client.post(url(draft, "reject"), headers=ann.headers, json={"reason": "too vague"})
    count = len(await messages_of(client, customer, conversation["id"]))

    retried = await client.post(url(draft, "retry"), headers=ann.headers, json=hint)
    assert retried.status_code == 201, retried.text
    new = retried.json()
    assert new["question"] == "Do you sell gift cards?"
    assert (new["status"], new["reason"], new["retry_of"], new["hint"]) == (
        "pending_review",
        "agent_retry",
        draft["id"],
        hint["hint"],
    )
    assert new["message_id"] == draft["message_id"] and new["text"]
    queue = await client.get("/api/v1/drafts", headers=ann.headers)
    assert new["id"] in [d["id"] for d in queue.json()["items"]]
    assert len(await messages_of(client, customer, conversation["id"])) == count  # nothing sent

    twice = await client.post(url(draft, "retry"), headers=ann.headers, json=hint)
    assert twice.status_code == 409 and twice.json()["draft_id"] == new["id"]
    blank = await client.post(url(draft, "retry"), headers=ann.headers, json={"hint": " "})
    assert blank.status_code == 422
    (event,) = await rows(
        db,
        "SELECT after FROM audit_events WHERE subject_id = :d AND action = 'draft.retried'",
        d=new["id"],
    )
    assert event["after"]["hint"] == hint["hint"]
    approved = await client.post(f"/api/v1/drafts/{new['id']}/approve", headers=ann.headers)
    assert approved.status_code == 200
