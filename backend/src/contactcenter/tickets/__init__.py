"""Service tickets: which action a customer asks for, and where the ticket is sent."""

from contactcenter.tickets.adapters import (
    LocalTicketAdapter,
    TicketAdapter,
    TicketError,
    TicketReceipt,
    TicketRequest,
    WebhookTicketAdapter,
    build_ticket_adapter,
    ticket_reference,
)
from contactcenter.tickets.intents import Intent, ServiceRequest, extract, next_steps

__all__ = [
    "Intent",
    "LocalTicketAdapter",
    "ServiceRequest",
    "TicketAdapter",
    "TicketError",
    "TicketReceipt",
    "TicketRequest",
    "WebhookTicketAdapter",
    "build_ticket_adapter",
    "extract",
    "next_steps",
    "ticket_reference",
]
