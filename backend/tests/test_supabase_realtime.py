"""Supabase Realtime delivery: events as private broadcasts, joined under the WebSocket's rules.

Supabase's `realtime` schema is stood in for by the parts the migration uses: `realtime.send`
(which, as on Supabase, stores a broadcast row in `realtime.messages`), `realtime.topic()` and
RLS on `realtime.messages`. The stand-in is dropped after each test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from contactcenter.auth.principal import Role
from contactcenter.core.database import Database

STAND_IN = """
CREATE SCHEMA realtime;
CREATE TABLE realtime.messages (
  id bigserial PRIMARY KEY,
  topic text NOT NULL,
  extension text NOT NULL,
  event text,
  payload jsonb,
  private boolean,
  inserted_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE realtime.messages ENABLE ROW LEVEL SECURITY;
GRANT USAGE ON SCHEMA realtime TO authenticated;
GRANT SELECT ON realtime.messages TO authenticated;
CREATE FUNCTION realtime.topic() RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting('realtime.topic', true), '') $$;
GRANT EXECUTE ON FUNCTION realtime.topic() TO authenticated;
CREATE FUNCTION realtime.send(payload jsonb, event text, topic text, private boolean DEFAULT true)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO realtime.messages (topic, extension, event, payload, private)
  VALUES (topic, 'broadcast', event, payload, private)
$$;
"""


@pytest.fixture
async def supabase_realtime(db: Database) -> AsyncIterator[None]:
    async with db.transaction() as session:
        for statement in STAND_IN.split(";\n"):
            if statement.strip():
                await session.execute(text(statement))
        installed = await session.execute(text("SELECT app.install_supabase_realtime()"))
        assert installed.scalar_one() is True
    try:
        yield
    finally:
        async with db.transaction() as session:
            await session.execute(text("DROP SCHEMA realtime CASCADE"))


async def may_follow(db: Database, claims: dict[str, Any], topic: str) -> bool:
    async with db.transaction(claims) as session:
        result = await session.execute(text("SELECT app.may_follow(:t)"), {"t": topic})
        return bool(result.scalar_one())


async def broadcasts(db: Database) -> list[tuple[str, str, dict[str, Any]]]:
    async with db.transaction() as session:
        rows = await session.execute(
            text("SELECT topic, event, payload FROM realtime.messages ORDER BY id")
        )
        return [(r.topic, r.event, r.payload) for r in rows]


async def test_topics_follow_the_websocket_rules(build, db):
    tenant = await build.tenant()
    other = await build.tenant()
    customer = await build.customer(tenant)
    someone_else = await build.customer(tenant)
    agent = await build.staff(tenant)
    supervisor = await build.staff(tenant, Role.supervisor)
    stranger = await build.staff(other)
    conversation = await build.conversation(customer)
    mine = f"conversation:{conversation['id']}"
    queue, dashboard = f"tenant:{tenant.id}:queue", f"tenant:{tenant.id}:dashboard"

    assert await may_follow(db, customer.claims, mine)
    assert not await may_follow(db, customer.claims, f"staff:{mine}")
    assert not await may_follow(db, customer.claims, queue)
    assert not await may_follow(db, someone_else.claims, mine)
    assert await may_follow(db, agent.claims, mine)
    assert await may_follow(db, agent.claims, f"staff:{mine}")
    assert await may_follow(db, agent.claims, queue)
    assert not await may_follow(db, agent.claims, dashboard)
    assert await may_follow(db, supervisor.claims, dashboard)
    assert not await may_follow(db, stranger.claims, mine)
    assert not await may_follow(db, stranger.claims, queue)
    assert not await may_follow(db, agent.claims, "conversation:not-a-uuid")
    assert not await may_follow(db, agent.claims, f"tenant:{tenant.id}:secrets")


async def test_events_go_out_as_private_broadcasts_and_staff_events_stay_with_staff(
    build, db, supabase_realtime
):
    tenant = await build.tenant()
    customer = await build.customer(tenant)
    agent = await build.staff(tenant)
    conversation = await build.conversation(customer)
    cid = conversation["id"]
    await build.message(customer, cid, "Do you deliver on Sundays?")
    note = await build.client.post(
        f"/api/v1/conversations/{cid}/notes", headers=agent.headers, json={"text": "VIP customer"}
    )
    assert note.status_code == 201, note.text

    sent = await broadcasts(db)
    public = [(t, e, p) for t, e, p in sent if t == f"conversation:{cid}"]
    assert ("message.created", "Do you deliver on Sundays?") in [
        (e, p.get("message", {}).get("text")) for _, e, p in public
    ]
    assert all(p.get("message", {}).get("text") != "VIP customer" for _, _, p in public)
    staff = [(e, p) for t, e, p in sent if t == f"staff:conversation:{cid}"]
    assert ("message.created", "VIP customer") in [
        (e, p.get("message", {}).get("text")) for e, p in staff
    ]
    assert any(t == f"tenant:{tenant.id}:conversations" for t, _, _ in sent)


async def test_rls_on_realtime_messages_lets_only_followers_receive(build, db, supabase_realtime):
    tenant = await build.tenant()
    customer = await build.customer(tenant)
    other = await build.customer(tenant)
    conversation = await build.conversation(customer)
    topic = f"conversation:{conversation['id']}"
    await build.message(customer, conversation["id"], "Is the pharmacy open late?")

    async def visible(claims: dict[str, Any]) -> int:
        async with db.transaction(claims) as session:
            await session.execute(
                text("SELECT set_config('realtime.topic', :t, true)"), {"t": topic}
            )
            rows = await session.execute(
                text("SELECT count(*) FROM realtime.messages WHERE topic = :t"), {"t": topic}
            )
            return int(rows.scalar_one())

    assert await visible(customer.claims) >= 1
    assert await visible(other.claims) == 0


async def test_without_supabase_the_install_is_a_no_op(db):
    async with db.transaction() as session:
        result = await session.execute(text("SELECT app.install_supabase_realtime()"))
        assert result.scalar_one() is False
