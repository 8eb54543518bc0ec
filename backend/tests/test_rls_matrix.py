"""Row-level security matrix, checked with direct SQL under JWT claims (not through the API).

Every check runs in a transaction opened the way the application opens one for a user
(`Database.transaction(claims)`: role `authenticated` plus `request.jwt.claims`), or as `anon`, and
that transaction is always rolled back, so the module's fixture data stays the same for every
test and exact row counts can be asserted. Counts are restricted to this module's two tenants.

A statement the policies must refuse runs inside a SAVEPOINT and must fail with SQLSTATE 42501
(insufficient_privilege: "permission denied ..." or "new row violates row-level security ...").
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.auth.principal import Role
from contactcenter.core.database import Database
from tests.builders import Actor, Builder

INSUFFICIENT_PRIVILEGE = "42501"
RLS_VIOLATION = "new row violates row-level security policy"

TABLES = (
    "tenants",
    "users",
    "credentials",
    "auth_sessions",
    "conversations",
    "messages",
    "audit_events",
    "realtime_spill",
)

# rows of one tenant in each table (realtime_spill has no tenant column: its envelope names it)
COUNT_SQL = {
    "tenants": "SELECT count(*) FROM tenants WHERE id = :tenant",
    "users": "SELECT count(*) FROM users WHERE tenant_id = :tenant",
    "credentials": "SELECT count(*) FROM credentials WHERE tenant_id = :tenant",
    "auth_sessions": "SELECT count(*) FROM auth_sessions WHERE tenant_id = :tenant",
    "conversations": "SELECT count(*) FROM conversations WHERE tenant_id = :tenant",
    "messages": "SELECT count(*) FROM messages WHERE tenant_id = :tenant",
    "audit_events": "SELECT count(*) FROM audit_events WHERE tenant_id = :tenant",
    "realtime_spill": (
        "SELECT count(*) FROM realtime_spill WHERE (payload ->> 'tenant_id')::uuid = :tenant"
    ),
}

INSERT_MESSAGE = (
    "INSERT INTO messages (tenant_id, conversation_id, author_kind, author_id, visibility, text) "
    "VALUES (:tenant_id, :conversation_id, :author_kind, :author_id, :visibility, :text)"
)
INSERT_CONVERSATION = (
    "INSERT INTO conversations (tenant_id, customer_id) VALUES (:tenant, :customer)"
)
INSERT_AUDIT = (
    "INSERT INTO audit_events (tenant_id, actor_id, actor_kind, action, subject_type, subject_id) "
    "VALUES (:tenant_id, :actor_id, :actor_kind, 'test.event', 'conversation', :subject_id)"
)
PUBLISH = "SELECT app.publish('rls_matrix_test', CAST(:envelope AS jsonb))"


# --- helpers -------------------------------------------------------------------------------------


class _RollBack(Exception):
    """Ends a test transaction: nothing a test writes is ever committed."""


@asynccontextmanager
async def _rolled_back(
    db: Database, claims: Mapping[str, Any] | None
) -> AsyncIterator[AsyncSession]:
    try:
        async with db.transaction(claims) as session:
            yield session
            raise _RollBack
    except _RollBack:
        pass


@asynccontextmanager
async def as_actor(db: Database, claims: Mapping[str, Any] | None) -> AsyncIterator[AsyncSession]:
    """A transaction (always rolled back) under these JWT claims; `None` means the `anon` role."""
    async with _rolled_back(db, claims) as session:
        if claims is None:
            await session.execute(text("SELECT set_config('role', 'anon', true)"))
        yield session


@asynccontextmanager
async def as_owner(db: Database) -> AsyncIterator[AsyncSession]:
    """A transaction (always rolled back) as the connection's own role, which bypasses RLS."""
    async with _rolled_back(db, None) as session:
        yield session


async def become_owner(session: AsyncSession) -> None:
    """Switch the rest of this transaction to the owner: it sees uncommitted rows, RLS or not."""
    await session.execute(text("SET LOCAL ROLE NONE"))


async def assert_refused(
    session: AsyncSession, sql: str, params: Mapping[str, Any] | None = None, *, match: str | None
) -> str:
    """Run `sql` in a SAVEPOINT; it must fail with insufficient_privilege (and say `match`)."""
    try:
        async with session.begin_nested():
            await session.execute(text(sql), dict(params or {}))
    except DBAPIError as error:
        message = str(error.orig)
        assert getattr(error.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE, message
        assert match is None or match in message, message
        return message
    raise AssertionError(f"the statement was accepted: {sql} {dict(params or {})}")


async def scalar(session: AsyncSession, sql: str, params: Mapping[str, Any] | None = None) -> Any:
    return (await session.execute(text(sql), dict(params or {}))).scalar_one()


async def ids(session: AsyncSession, sql: str, params: Mapping[str, Any]) -> set[UUID]:
    return set((await session.execute(text(sql), dict(params))).scalars())


# --- the world: tenant A (two customers, an agent, a supervisor) and tenant B --------------------


@dataclass
class World:
    a: UUID
    b: UUID
    actors: dict[str, Actor]
    conversations: dict[str, UUID]  # c1 (customer1), c2 (customer2), cb (customer_b)
    public: dict[str, set[UUID]]  # public message ids per conversation
    internal: dict[str, set[UUID]]  # internal note ids per conversation
    owner_counts: dict[tuple[str, UUID], int]  # (table, tenant) -> rows, as the owner sees them

    def claims(self, name: str) -> dict[str, Any] | None:
        return None if name == "anon" else self.actors[name].claims

    def tenant(self, key: str) -> UUID:
        return {"a": self.a, "b": self.b}[key]

    def user(self, name: str) -> UUID:
        return self.actors[name].user_id


async def _internal_note(db: Database, author: Actor, conversation_id: UUID, body: str) -> UUID:
    async with db.transaction() as session:  # as the owner, committed
        return await scalar(
            session,
            INSERT_MESSAGE + " RETURNING id",
            {
                "tenant_id": author.tenant_id,
                "conversation_id": conversation_id,
                "author_kind": "agent",
                "author_id": author.user_id,
                "visibility": "internal",
                "text": body,
            },
        )


@pytest.fixture(scope="module")
async def world(app, db: Database) -> AsyncIterator[World]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        build = Builder(db=db, client=client)
        a, b = await build.tenant("RLS A"), await build.tenant("RLS B")
        actors = {
            "customer1": await build.customer(a),
            "customer2": await build.customer(a),
            "agent_a": await build.staff(a, Role.agent),
            "supervisor_a": await build.staff(a, Role.supervisor),
            "customer_b": await build.customer(b),
            "agent_b": await build.staff(b, Role.agent),
        }
        conv = {
            "c1": UUID((await build.conversation(actors["customer1"]))["id"]),
            "c2": UUID((await build.conversation(actors["customer2"]))["id"]),
            "cb": UUID((await build.conversation(actors["customer_b"]))["id"]),
        }

        async def say(actor: str, key: str, body: str) -> UUID:
            return UUID((await build.message(actors[actor], conv[key], body))["id"])

        public = {
            "c1": {await say("customer1", "c1", "Where is my order?"),
                   await say("agent_a", "c1", "Checking now")},
            "c2": {await say("customer2", "c2", "I need a refill")},
            "cb": {await say("customer_b", "cb", "Hello from B"),
                   await say("agent_b", "cb", "Hi, B here")},
        }  # fmt: skip
        internal = {
            "c1": {await _internal_note(db, actors["agent_a"], conv["c1"], "VIP, be careful")},
            "c2": {await _internal_note(db, actors["supervisor_a"], conv["c2"], "Check stock")},
            "cb": set(),
        }
        async with db.transaction() as session:  # as the owner, committed
            for tenant in (a.id, b.id):
                await session.execute(
                    text("INSERT INTO realtime_spill (payload) VALUES (CAST(:p AS jsonb))"),
                    {"p": json.dumps({"tenant_id": str(tenant), "event": {"big": "x"}})},
                )
            owner_counts = {
                (table, tenant): await scalar(session, COUNT_SQL[table], {"tenant": tenant})
                for table in TABLES
                for tenant in (a.id, b.id)
            }
    yield World(
        a=a.id,
        b=b.id,
        actors=actors,
        conversations=conv,
        public=public,
        internal=internal,
        owner_counts=owner_counts,
    )


# --- reads ---------------------------------------------------------------------------------------

DENIED = "permission denied"
ALL = "every row of the tenant"  # as many as the owner sees (audit events come from the app)

_CUSTOMER_A = {"tenants": (1, 0), "users": (1, 0), "conversations": (1, 0), "audit_events": (0, 0)}
_STAFF_A = {
    "tenants": (1, 0),
    "users": (4, 0),
    "conversations": (2, 0),
    "messages": (5, 0),
    "audit_events": (ALL, 0),
}
_SECRET = {"credentials": DENIED, "auth_sessions": DENIED, "realtime_spill": DENIED}

# actor -> table -> (rows visible in tenant A, rows visible in tenant B), or DENIED
EXPECTED_VISIBLE: dict[str, dict[str, Any]] = {
    "customer1": {**_CUSTOMER_A, "messages": (2, 0), **_SECRET},
    "customer2": {**_CUSTOMER_A, "messages": (1, 0), **_SECRET},
    "agent_a": {**_STAFF_A, **_SECRET},
    "supervisor_a": {**_STAFF_A, **_SECRET},
    "agent_b": {
        "tenants": (0, 1),
        "users": (0, 2),
        "conversations": (0, 1),
        "messages": (0, 2),
        "audit_events": (0, ALL),
        **_SECRET,
    },
    "anon": dict.fromkeys(TABLES, DENIED),
}


async def test_owner_sees_the_fixture_rows_that_the_matrix_hides(world: World):
    """The rows exist, so a 0 or a refusal below means hidden, not absent."""
    exact = {
        "tenants": (1, 1),
        "users": (4, 2),
        "credentials": (2, 1),
        "conversations": (2, 1),
        "messages": (5, 2),
        "realtime_spill": (1, 1),
    }
    for table in TABLES:
        counts = (world.owner_counts[table, world.a], world.owner_counts[table, world.b])
        if table in exact:
            assert counts == exact[table], table
        else:  # written by the app as a side effect: auth_sessions, audit_events
            assert min(counts) > 0, (table, counts)


@pytest.mark.parametrize(
    ("actor", "table"),
    [(actor, table) for actor in EXPECTED_VISIBLE for table in TABLES],
    ids=[f"{actor}-reads-{table}" for actor in EXPECTED_VISIBLE for table in TABLES],
)
async def test_visible_rows(db: Database, world: World, actor: str, table: str):
    expected = EXPECTED_VISIBLE[actor][table]
    async with as_actor(db, world.claims(actor)) as session:
        if expected == DENIED:
            await assert_refused(
                session,
                COUNT_SQL[table],
                {"tenant": world.a},
                match=f"permission denied for table {table}",
            )
            return
        tenants = (world.a, world.b)
        seen = [await scalar(session, COUNT_SQL[table], {"tenant": t}) for t in tenants]
    wanted = [
        world.owner_counts[table, tenant] if want == ALL else want
        for tenant, want in zip(tenants, expected, strict=True)
    ]
    assert seen == wanted


@pytest.mark.parametrize(("customer", "key"), [("customer1", "c1"), ("customer2", "c2")])
async def test_customer_sees_only_own_conversation_and_its_public_messages(
    db: Database, world: World, customer: str, key: str
):
    tenants = {"a": world.a, "b": world.b}
    async with as_actor(db, world.claims(customer)) as session:
        conversations = await ids(
            session, "SELECT id FROM conversations WHERE tenant_id IN (:a, :b)", tenants
        )
        messages = await ids(
            session, "SELECT id FROM messages WHERE tenant_id IN (:a, :b)", tenants
        )
    assert conversations == {world.conversations[key]}
    assert messages == world.public[key]


@pytest.mark.parametrize(
    ("actor", "visible_notes"),
    [
        ("customer1", set()),
        ("customer2", set()),
        ("agent_a", {"c1", "c2"}),
        ("supervisor_a", {"c1", "c2"}),
        ("agent_b", set()),
        ("customer_b", set()),
    ],
)
async def test_internal_notes_are_visible_to_own_tenant_staff_only(
    db: Database, world: World, actor: str, visible_notes: set[str]
):
    all_notes = world.internal["c1"] | world.internal["c2"]
    async with as_actor(db, world.claims(actor)) as session:
        seen = await ids(
            session,
            "SELECT id FROM messages WHERE visibility = 'internal' AND id = ANY(:ids)",
            {"ids": list(all_notes)},
        )
    assert seen == set().union(*(world.internal[key] for key in visible_notes))


# --- writes: messages ----------------------------------------------------------------------------


def message_row(world: World, author: str, key: str, **overrides: Any) -> dict[str, Any]:
    """The row `author` would post into conversation `key`; an `author_id` may name an actor."""
    actor = world.actors[author]
    if isinstance(overrides.get("author_id"), str):
        overrides["author_id"] = world.user(overrides["author_id"])
    row = {
        "tenant_id": actor.tenant_id,
        "conversation_id": world.conversations[key],
        "author_kind": "customer" if actor.role is Role.customer else "agent",
        "author_id": actor.user_id,
        "visibility": "public",
        "text": "written by the RLS matrix",
    }
    return row | overrides


async def test_customer_cannot_post_into_another_customers_conversation(db: Database, world: World):
    async with as_actor(db, world.claims("customer1")) as session:
        await assert_refused(
            session, INSERT_MESSAGE, message_row(world, "customer1", "c2"), match=RLS_VIOLATION
        )


@pytest.mark.parametrize(
    "overrides",
    [
        {"author_kind": "agent"},
        {"author_kind": "ai"},
        {"author_kind": "system"},
        {"visibility": "internal"},
        {"author_id": "customer2"},
        {"author_id": None},
    ],
    ids=["as-agent", "as-ai", "as-system", "internal-note", "as-other-customer", "no-author"],
)
async def test_customer_cannot_post_as_anyone_else_in_own_conversation(
    db: Database, world: World, overrides: dict[str, Any]
):
    async with as_actor(db, world.claims("customer1")) as session:
        await assert_refused(
            session,
            INSERT_MESSAGE,
            message_row(world, "customer1", "c1", **overrides),
            match=RLS_VIOLATION,
        )


async def test_customer_can_post_into_own_conversation(db: Database, world: World):
    async with as_actor(db, world.claims("customer1")) as session:
        result = await session.execute(text(INSERT_MESSAGE), message_row(world, "customer1", "c1"))
        assert result.rowcount == 1
        assert await scalar(session, COUNT_SQL["messages"], {"tenant": world.a}) == 3


@pytest.mark.parametrize("tenant_key", ["a", "b"], ids=["naming-tenant-a", "naming-own-tenant-b"])
async def test_agent_of_another_tenant_cannot_post_into_tenant_a_conversation(
    db: Database, world: World, tenant_key: str
):
    row = message_row(world, "agent_b", "c1", tenant_id=world.tenant(tenant_key))
    async with as_actor(db, world.claims("agent_b")) as session:
        await assert_refused(session, INSERT_MESSAGE, row, match=RLS_VIOLATION)


@pytest.mark.parametrize(
    ("author", "visibility"),
    [("agent_a", "public"), ("agent_a", "internal"), ("supervisor_a", "public")],
)
async def test_staff_can_post_agent_messages_into_own_tenant_conversation(
    db: Database, world: World, author: str, visibility: str
):
    row = message_row(world, author, "c2", visibility=visibility)
    async with as_actor(db, world.claims(author)) as session:
        result = await session.execute(text(INSERT_MESSAGE), row)
        assert result.rowcount == 1
        assert await scalar(session, COUNT_SQL["messages"], {"tenant": world.a}) == 6


@pytest.mark.parametrize(
    "overrides",
    [
        {"author_kind": "customer"},
        {"author_kind": "ai"},
        {"author_kind": "system"},
        {"author_id": "supervisor_a"},
    ],
    ids=["as-customer", "as-ai", "as-system", "as-other-staff"],
)
async def test_agent_cannot_post_as_anyone_else(
    db: Database, world: World, overrides: dict[str, Any]
):
    async with as_actor(db, world.claims("agent_a")) as session:
        await assert_refused(
            session,
            INSERT_MESSAGE,
            message_row(world, "agent_a", "c1", **overrides),
            match=RLS_VIOLATION,
        )


async def test_anon_cannot_insert_messages_or_conversations(db: Database, world: World):
    async with as_actor(db, None) as session:
        await assert_refused(
            session,
            INSERT_MESSAGE,
            message_row(world, "customer1", "c1"),
            match="permission denied for table messages",
        )
        await assert_refused(
            session,
            INSERT_CONVERSATION,
            {"tenant": world.a, "customer": world.user("customer1")},
            match="permission denied for table conversations",
        )


# --- writes: conversations -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "tenant_key", "customer"),
    [
        ("customer1", "b", "customer1"),
        ("customer1", "a", "customer2"),
        ("customer1", "b", "customer_b"),
        ("agent_a", "a", "customer1"),
        ("agent_a", "a", "agent_a"),
    ],
    ids=[
        "customer-for-other-tenant",
        "customer-for-other-customer",
        "customer-for-other-tenants-customer",
        "agent-for-a-customer",
        "agent-for-self",
    ],
)
async def test_conversation_insert_refused(
    db: Database, world: World, actor: str, tenant_key: str, customer: str
):
    params = {"tenant": world.tenant(tenant_key), "customer": world.user(customer)}
    async with as_actor(db, world.claims(actor)) as session:
        await assert_refused(session, INSERT_CONVERSATION, params, match=RLS_VIOLATION)


async def test_customer_can_open_own_conversation(db: Database, world: World):
    params = {"tenant": world.a, "customer": world.user("customer1")}
    async with as_actor(db, world.claims("customer1")) as session:
        assert (await session.execute(text(INSERT_CONVERSATION), params)).rowcount == 1
        assert await scalar(session, COUNT_SQL["conversations"], {"tenant": world.a}) == 2


STATUS_OF = "SELECT status FROM conversations WHERE id = :id"
RESOLVE = "UPDATE conversations SET status = 'resolved' WHERE id = :id"


@pytest.mark.parametrize(
    ("actor", "key"),
    [
        ("customer1", "c1"),
        ("customer1", "c2"),
        ("agent_b", "c1"),
        ("agent_a", "cb"),
        ("supervisor_a", "cb"),
    ],
    ids=[
        "customer-own-conversation",
        "customer-other-customers-conversation",
        "agent-b-tenant-a-conversation",
        "agent-a-tenant-b-conversation",
        "supervisor-a-tenant-b-conversation",
    ],
)
async def test_conversation_update_changes_nothing(
    db: Database, world: World, actor: str, key: str
):
    conversation = {"id": world.conversations[key]}
    async with as_actor(db, world.claims(actor)) as session:
        assert (await session.execute(text(RESOLVE), conversation)).rowcount == 0
        await become_owner(session)
        assert await scalar(session, STATUS_OF, conversation) == "open"


@pytest.mark.parametrize(
    ("actor", "resolved"),
    [("customer1", set()), ("agent_b", {"cb"}), ("supervisor_a", {"c1", "c2"})],
)
async def test_update_without_where_reaches_only_own_tenant_staff_rows(
    db: Database, world: World, actor: str, resolved: set[str]
):
    """No WHERE clause, so only the UPDATE policy filters (a WHERE adds the SELECT policy)."""
    async with as_actor(db, world.claims(actor)) as session:
        result = await session.execute(text("UPDATE conversations SET status = 'resolved'"))
        assert result.rowcount == len(resolved)
        await become_owner(session)
        for key, conversation_id in world.conversations.items():
            want = "resolved" if key in resolved else "open"
            assert await scalar(session, STATUS_OF, {"id": conversation_id}) == want, key


@pytest.mark.parametrize("actor", ["agent_a", "supervisor_a"])
async def test_staff_can_update_own_tenant_conversation_but_not_move_it(
    db: Database, world: World, actor: str
):
    conversation = {"id": world.conversations["c1"]}
    async with as_actor(db, world.claims(actor)) as session:
        assert (await session.execute(text(RESOLVE), conversation)).rowcount == 1
        assert await scalar(session, STATUS_OF, conversation) == "resolved"
        await assert_refused(
            session,
            "UPDATE conversations SET tenant_id = :b WHERE id = :id",
            {**conversation, "b": world.b},
            # refused by the column grant, before the policy's WITH CHECK would be reached
            match="permission denied for table conversations",
        )


async def test_customer_cannot_update_messages(db: Database, world: World):
    async with as_actor(db, world.claims("customer1")) as session:
        await assert_refused(
            session,
            "UPDATE messages SET text = 'edited' WHERE conversation_id = :id",
            {"id": world.conversations["c1"]},
            match="permission denied for table messages",
        )


DELETABLE = ("messages", "conversations", "audit_events", "users", "tenants")
DELETE_SQL = {
    "messages": "DELETE FROM messages WHERE tenant_id = :tenant",
    "conversations": "DELETE FROM conversations WHERE tenant_id = :tenant",
    "audit_events": "DELETE FROM audit_events WHERE tenant_id = :tenant",
    "users": "DELETE FROM users WHERE tenant_id = :tenant",
    "tenants": "DELETE FROM tenants WHERE id = :tenant",
}


@pytest.mark.parametrize("table", DELETABLE)
@pytest.mark.parametrize("actor", ["customer1", "agent_a", "supervisor_a"])
async def test_nobody_authenticated_can_delete(db: Database, world: World, actor: str, table: str):
    async with as_actor(db, world.claims(actor)) as session:
        await assert_refused(
            session,
            DELETE_SQL[table],
            {"tenant": world.a},
            match=f"permission denied for table {table}",
        )
        await become_owner(session)
        assert (
            await scalar(session, COUNT_SQL[table], {"tenant": world.a})
            == (world.owner_counts[table, world.a])
        )


# --- audit events --------------------------------------------------------------------------------


TAMPERED = "SELECT count(*) FROM audit_events WHERE tenant_id = :tenant AND action = 'tampered'"


@pytest.mark.parametrize(
    ("operation", "sql"),
    [
        ("UPDATE", "UPDATE audit_events SET action = 'tampered' WHERE tenant_id = :tenant"),
        ("DELETE", "DELETE FROM audit_events WHERE tenant_id = :tenant"),
        ("TRUNCATE", "TRUNCATE audit_events"),  # the whole table, but rolled back
    ],
)
async def test_audit_events_are_append_only_even_for_the_owner(
    db: Database, world: World, operation: str, sql: str
):
    async with as_owner(db) as session:
        await assert_refused(
            session,
            sql,
            {"tenant": world.a},
            match=f"audit_events is append-only ({operation} refused)",
        )
        count = await scalar(session, COUNT_SQL["audit_events"], {"tenant": world.a})
        assert count == world.owner_counts["audit_events", world.a]
        assert await scalar(session, TAMPERED, {"tenant": world.a}) == 0


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_events SET action = 'tampered' WHERE tenant_id = :tenant",
        "DELETE FROM audit_events WHERE tenant_id = :tenant",
    ],
    ids=["update", "delete"],
)
async def test_staff_cannot_update_or_delete_audit_events(db: Database, world: World, sql: str):
    async with as_actor(db, world.claims("supervisor_a")) as session:
        await assert_refused(
            session, sql, {"tenant": world.a}, match="permission denied for table audit_events"
        )


def audit_row(world: World, tenant_key: str, actor: str | None, kind: str) -> dict[str, Any]:
    return {
        "tenant_id": world.tenant(tenant_key),
        "actor_id": world.user(actor) if actor else None,
        "actor_kind": kind,
        "subject_id": world.conversations["c1"],
    }


@pytest.mark.parametrize(
    ("author", "tenant_key", "actor", "kind"),
    [
        ("customer1", "a", "customer2", "customer"),
        ("customer1", "a", "agent_a", "agent"),
        ("customer1", "b", "customer1", "customer"),
        ("customer1", "a", None, "system"),
        ("agent_b", "a", "agent_b", "agent"),
        ("agent_a", "a", "supervisor_a", "supervisor"),
    ],
    ids=[
        "customer-as-other-customer",
        "customer-as-agent",
        "customer-into-other-tenant",
        "customer-without-actor",
        "agent-b-into-tenant-a",
        "agent-as-supervisor",
    ],
)
async def test_audit_event_for_someone_else_is_refused(
    db: Database, world: World, author: str, tenant_key: str, actor: str | None, kind: str
):
    async with as_actor(db, world.claims(author)) as session:
        await assert_refused(
            session, INSERT_AUDIT, audit_row(world, tenant_key, actor, kind), match=RLS_VIOLATION
        )


async def test_customer_can_append_own_audit_event_but_not_read_it(db: Database, world: World):
    async with as_actor(db, world.claims("customer1")) as session:
        row = audit_row(world, "a", "customer1", "customer")
        assert (await session.execute(text(INSERT_AUDIT), row)).rowcount == 1
        assert await scalar(session, COUNT_SQL["audit_events"], {"tenant": world.a}) == 0
        await become_owner(session)
        assert await scalar(session, COUNT_SQL["audit_events"], {"tenant": world.a}) == (
            world.owner_counts["audit_events", world.a] + 1
        )


@pytest.mark.parametrize("kind", ["supervisor", "system", "ai"])
async def test_customer_cannot_append_audit_event_claiming_another_actor_kind(
    db: Database, world: World, kind: str
):
    async with as_actor(db, world.claims("customer1")) as session:
        await assert_refused(
            session, INSERT_AUDIT, audit_row(world, "a", "customer1", kind), match=RLS_VIOLATION
        )


# --- users ---------------------------------------------------------------------------------------


def fresh_claims(tenant: UUID | None, role: str = "customer", **extra: Any) -> dict[str, Any]:
    """A valid token for a user with no profile row yet (as Supabase Auth may issue)."""
    app_metadata = {"tenant_id": str(tenant), "role": role} if tenant else {"role": role}
    return {
        "sub": str(uuid.uuid4()),
        "role": "authenticated",
        "aud": "authenticated",
        "app_metadata": app_metadata,
        **extra,
    }


INSERT_PROFILE = (
    "INSERT INTO users (id, tenant_id, role, email) VALUES (:id, :tenant, :role, :email)"
)


@pytest.mark.parametrize(
    ("tenant_key", "role", "own_id"),
    [("b", "customer", True), ("a", "agent", True), ("a", "customer", False)],
    ids=["other-tenant", "promoted-role", "other-user-id"],
)
async def test_profile_provisioning_is_bound_to_the_token(
    db: Database, world: World, tenant_key: str, role: str, own_id: bool
):
    claims = fresh_claims(world.a)
    params = {
        "id": UUID(claims["sub"]) if own_id else uuid.uuid4(),
        "tenant": world.tenant(tenant_key),
        "role": role,
        "email": None,
    }
    async with as_actor(db, claims) as session:
        await assert_refused(session, INSERT_PROFILE, params, match=RLS_VIOLATION)


async def test_new_user_can_provision_own_profile(db: Database, world: World):
    claims = fresh_claims(world.a)
    params = {"id": UUID(claims["sub"]), "tenant": world.a, "role": "customer", "email": None}
    async with as_actor(db, claims) as session:
        assert (await session.execute(text(INSERT_PROFILE), params)).rowcount == 1
        assert await scalar(session, COUNT_SQL["users"], {"tenant": world.a}) == 1


async def test_new_user_cannot_provision_a_profile_with_someone_elses_email(
    db: Database, world: World
):
    claims = fresh_claims(world.a, email="me@customer.example")
    params = {
        "id": UUID(claims["sub"]),
        "tenant": world.a,
        "role": "customer",
        "email": f"future-admin-{uuid.uuid4().hex[:8]}@rls.example",
    }
    async with as_actor(db, claims) as session:
        await assert_refused(session, INSERT_PROFILE, params, match=RLS_VIOLATION)


# --- realtime: app.publish -----------------------------------------------------------------------


def envelope(tenant: UUID | None) -> dict[str, Any]:
    body: dict[str, Any] = {"topics": ["t"], "audience": "all", "event": {"type": "x"}}
    return body if tenant is None else {"tenant_id": str(tenant), **body}


@pytest.mark.parametrize(
    ("actor", "tenant_key"),
    [("customer1", "b"), ("agent_a", "b"), ("agent_b", "a"), ("customer1", None)],
    ids=["customer-a-into-b", "agent-a-into-b", "agent-b-into-a", "customer-a-without-tenant"],
)
async def test_publish_into_another_tenant_is_refused(
    db: Database, world: World, actor: str, tenant_key: str | None
):
    target = world.tenant(tenant_key) if tenant_key else None
    async with as_actor(db, world.claims(actor)) as session:
        await assert_refused(
            session,
            PUBLISH,
            {"envelope": json.dumps(envelope(target))},
            match="cannot publish into another tenant",
        )


@pytest.mark.parametrize("actor", ["customer1", "agent_a"])
async def test_publish_into_own_tenant_is_allowed(db: Database, world: World, actor: str):
    async with as_actor(db, world.claims(actor)) as session:
        await session.execute(text(PUBLISH), {"envelope": json.dumps(envelope(world.a))})


async def test_large_publish_spills_but_the_spill_stays_unreadable(db: Database, world: World):
    big = envelope(world.a) | {"event": {"type": "x", "text": "y" * 9000}}
    async with as_actor(db, world.claims("customer1")) as session:
        await session.execute(text(PUBLISH), {"envelope": json.dumps(big)})
        await assert_refused(
            session,
            COUNT_SQL["realtime_spill"],
            {"tenant": world.a},
            match="permission denied for table realtime_spill",
        )
        await become_owner(session)
        assert await scalar(session, COUNT_SQL["realtime_spill"], {"tenant": world.a}) == 2


async def test_anon_cannot_publish(db: Database, world: World):
    async with as_actor(db, None) as session:
        await assert_refused(
            session,
            PUBLISH,
            {"envelope": json.dumps(envelope(world.a))},
            match="permission denied for function publish",
        )


async def test_authenticated_caller_without_tenant_claim_cannot_publish(db: Database, world: World):
    claims = fresh_claims(None)  # signed in (e.g. by Supabase Auth) but not provisioned
    async with as_actor(db, claims) as session:
        await assert_refused(  # any insufficient_privilege refusal will do
            session, PUBLISH, {"envelope": json.dumps(envelope(world.a))}, match=None
        )
