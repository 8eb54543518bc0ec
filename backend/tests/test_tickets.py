"""Service-request extraction, next steps, ticket references and the webhook adapter."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID, uuid4

import httpx
import pytest

from contactcenter.tickets import (
    Intent,
    LocalTicketAdapter,
    TicketAdapter,
    TicketError,
    TicketReceipt,
    TicketRequest,
    WebhookTicketAdapter,
    build_ticket_adapter,
    extract,
    next_steps,
    ticket_reference,
)

SECRET = "whsec-test-0123456789abcdef"
URL = "https://helpdesk.example.com/hooks/tickets"
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Where is my order? It's order #12345", Intent.order_status),
        ("Can you track my parcel please, it hasn't arrived yet", Intent.order_status),
        ("When will my order arrive?", Intent.order_status),
        ("I want a refund for order 987654321", Intent.refund),
        ("I'd like my money back, you charged me twice", Intent.refund),
        ("Please cancel my order 55555", Intent.cancel_order),
        ("I need to change my delivery address to SW1A 1AA", Intent.address_change),
        ("I've moved house, please send it to my new address", Intent.address_change),
        ("Please update my email to jane@example.com", Intent.account_change),
        ("I forgot my password and can't log in", Intent.account_change),
        ("I need a refill of my inhaler, prescription RX-12345", Intent.prescription_refill),
        (
            "Can I get a repeat prescription for my blood pressure tablets?",
            Intent.prescription_refill,
        ),
        ("My parcel arrived damaged and the bottle was leaking", Intent.delivery_problem),
        ("You sent me the wrong item", Intent.delivery_problem),
        ("It says delivered but it never arrived", Intent.delivery_problem),
        ("I'd like to book an appointment for a flu jab", Intent.appointment),
        ("I need to cancel my appointment on Friday", Intent.appointment),
        ("I want to make a complaint, your staff member was very rude", Intent.complaint),
        ("This is unacceptable, I want to speak to a manager", Intent.complaint),
        ("Hello, what are your opening hours?", Intent.other),
    ],
)
def test_intent_of_realistic_messages(text: str, intent: Intent) -> None:
    assert extract(text).intent == intent


def test_matched_cues_and_confidence() -> None:
    strong = extract("Please cancel my order, I no longer want it")
    assert strong.intent == Intent.cancel_order
    assert "cancel my order" in strong.matched
    assert 0.8 <= strong.confidence <= 0.95

    nothing = extract("Thanks, have a nice day")
    assert nothing.intent == Intent.other
    assert nothing.matched == []
    assert nothing.confidence == 0.0

    mixed = extract("Refund or cancel, I don't mind")  # 3 against 2: refund, less sure
    assert mixed.intent == Intent.refund
    assert mixed.confidence < strong.confidence


def test_tie_goes_to_the_intent_earlier_in_priority() -> None:
    result = extract("damaged complaint")  # 3 and 3
    assert result.intent == Intent.delivery_problem


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("where is order #12345", {"order_number": "12345"}),
        ("order number AB-123456 please", {"order_number": "AB-123456"}),
        ("my order 987654321 for 2 boxes", {"order_number": "987654321"}),
        ("refill prescription RX-12345", {"prescription_number": "RX-12345"}),
        ("my rx number is 445566", {"prescription_number": "445566"}),
        ("email jane@example.com", {"email": "jane@example.com"}),
        ("call 07700 900123", {"phone": "07700 900123"}),
        ("call +1 415 555 0100", {"phone": "+1 415 555 0100"}),
        ("new postcode SW1A 1AA", {"postcode": "SW1A 1AA"}),
        ("zip code 90210", {"postcode": "90210"}),
        ("on 2026-03-12", {"date": "2026-03-12"}),
        ("on 12/03/2026", {"date": "12/03/2026"}),
        ("on March 3", {"date": "March 3"}),
        ("it cost $12.50", {"amount": "$12.50"}),
        ("it cost £30", {"amount": "£30"}),
        ("it cost 30 EUR", {"amount": "30 EUR"}),
        ("I take 500 mg twice a day", {}),
    ],
)
def test_field_extraction(text: str, fields: dict[str, str]) -> None:
    assert extract(text).fields == fields


def test_fields_together() -> None:
    result = extract(
        "Please refund order AB-123456, I paid £30 on 12/03/2026. Reach me at bob@example.com"
    )
    assert result.intent == Intent.refund
    assert result.fields == {
        "order_number": "AB-123456",
        "amount": "£30",
        "date": "12/03/2026",
        "email": "bob@example.com",
    }


def test_next_steps_ask_for_the_missing_order_number() -> None:
    steps = next_steps(Intent.order_status, {})
    assert steps[0] == "Please reply with your order number so we can look it up."
    assert 2 <= len(steps) <= 3

    known = next_steps(Intent.order_status, {"order_number": "12345"})
    assert "12345" in known[0]
    assert not any("order number" in step for step in known)


def test_next_steps_for_every_intent_are_short() -> None:
    for intent in Intent:
        steps = next_steps(intent, {})
        assert 2 <= len(steps) <= 3, intent
        assert all(step.endswith(".") and len(step) < 140 for step in steps), intent
    assert any("prescription number" in s for s in next_steps(Intent.prescription_refill, {}))


def test_reference_is_deterministic_and_well_formed() -> None:
    message_id = UUID("01890a5d-ac96-774b-bcce-b302099a8057")
    reference = ticket_reference(message_id)
    assert reference == ticket_reference(UUID(str(message_id)))
    assert re.fullmatch(r"T-[A-Z2-7]{8}", reference)
    assert len({ticket_reference(uuid4()) for _ in range(200)}) == 200


def test_uuid7_ids_from_the_same_instant_get_different_references() -> None:
    a = UUID("01890a5d-ac96-774b-bcce-b302099a8057")
    b = UUID("01890a5d-ac96-774b-bcce-b302099a8058")
    assert ticket_reference(a) != ticket_reference(b)


# --- adapters ---------------------------------------------------------------------------------


def _ticket() -> TicketRequest:
    message_id = uuid4()
    return TicketRequest(
        tenant_id=uuid4(),
        conversation_id=uuid4(),
        message_id=message_id,
        reference=ticket_reference(message_id),
        intent="refund",
        fields={"order_number": "AB-123456", "amount": "£30"},
        summary="Customer [NAME] asks for a refund of order AB-123456.",
        created_at=datetime(2026, 1, 1, 9, 30, tzinfo=UTC),
    )


def _webhook(
    handler: Callable[[httpx.Request], httpx.Response], secret: str | None = SECRET
) -> WebhookTicketAdapter:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return WebhookTicketAdapter(URL, secret, client=client, clock=lambda: NOW + 0.7)


async def test_local_adapter_keeps_the_ticket_open() -> None:
    adapter = LocalTicketAdapter()
    assert isinstance(adapter, TicketAdapter)
    assert await adapter.submit(_ticket()) == TicketReceipt("local", "open", None)


async def test_webhook_posts_signed_idempotent_json() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"id": "X-1"})

    ticket = _ticket()
    receipt = await _webhook(handler).submit(ticket)

    assert receipt == TicketReceipt("webhook", "submitted", "X-1")
    (request,) = seen
    assert request.method == "POST" and str(request.url) == URL
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == str(ticket.message_id)
    body = request.content
    assert json.loads(body) == {
        "reference": ticket.reference,
        "intent": "refund",
        "fields": {"order_number": "AB-123456", "amount": "£30"},
        "summary": ticket.summary,
        "tenant_id": str(ticket.tenant_id),
        "conversation_id": str(ticket.conversation_id),
        "message_id": str(ticket.message_id),
        "created_at": "2026-01-01T09:30:00+00:00",
    }
    timestamp = request.headers["X-Timestamp"]
    assert timestamp == str(NOW)
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    assert hmac.compare_digest(request.headers["X-Signature-256"], "sha256=" + expected.hexdigest())


async def test_a_rerun_sends_the_same_idempotency_key_and_body() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ticket_id": 42})

    ticket = _ticket()
    adapter = _webhook(handler)
    first = await adapter.submit(ticket)
    second = await adapter.submit(ticket)
    assert first == second == TicketReceipt("webhook", "submitted", "42")
    assert seen[0].headers["Idempotency-Key"] == seen[1].headers["Idempotency-Key"]
    assert seen[0].content == seen[1].content


async def test_webhook_without_secret_sends_no_signature() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    receipt = await _webhook(handler, secret=None).submit(_ticket())
    assert receipt == TicketReceipt("webhook", "submitted", None)
    assert "X-Signature-256" not in seen[0].headers
    assert "X-Timestamp" not in seen[0].headers


async def test_non_json_success_body_is_tolerated() -> None:
    adapter = _webhook(lambda _: httpx.Response(200, text="ok, thanks"))
    assert await adapter.submit(_ticket()) == TicketReceipt("webhook", "submitted", None)


def _raise_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def _raise_connect(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(f"cannot reach {request.url}", request=request)


@pytest.mark.parametrize(
    ("handler", "retryable", "status"),
    [
        (lambda _: httpx.Response(503, text=f"down, secret={SECRET}"), True, 503),
        (lambda _: httpx.Response(429), True, 429),
        (lambda _: httpx.Response(408), True, 408),
        (lambda _: httpx.Response(400, json={"error": SECRET}), False, 400),
        (lambda _: httpx.Response(401), False, 401),
        (lambda _: httpx.Response(302, headers={"Location": "/elsewhere"}), False, 302),
        (_raise_timeout, True, None),
        (_raise_connect, True, None),
    ],
)
async def test_webhook_failures_are_typed(
    handler: Callable[[httpx.Request], httpx.Response], retryable: bool, status: int | None
) -> None:
    ticket = _ticket()
    with pytest.raises(TicketError) as caught:
        await _webhook(handler).submit(ticket)
    error = caught.value
    assert error.retryable is retryable
    assert error.status_code == status
    message = str(error)
    assert SECRET not in message
    assert URL not in message and "helpdesk.example.com" not in message
    assert ticket.summary not in message


def test_build_ticket_adapter() -> None:
    client = httpx.AsyncClient()
    assert isinstance(
        build_ticket_adapter("local", url=None, secret=None, client=client), LocalTicketAdapter
    )
    webhook = build_ticket_adapter("webhook", url=URL, secret=SECRET, client=client)
    assert isinstance(webhook, WebhookTicketAdapter) and webhook.name == "webhook"
    with pytest.raises(ValueError, match="needs a URL"):
        build_ticket_adapter("webhook", url=None, secret=SECRET, client=client)
    with pytest.raises(ValueError, match="unknown ticket adapter"):
        build_ticket_adapter("jira", url=URL, secret=None, client=client)
