"""The realtime contract: event payloads and the frames of the WebSocket protocol.

Exported as JSON Schema into the project's `shared/realtime-events.schema.json` (`make contract`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

from contactcenter.analytics.pusher import DashboardUpdated
from contactcenter.conversations.schemas import ConversationOut, MessageOut
from contactcenter.knowledge.schemas import KnowledgeDocumentDeleted, KnowledgeDocumentUpdated
from contactcenter.pipeline.schemas import (
    AiReplyDelta,
    AiReplyWithdrawn,
    AiTyping,
    AlertRaised,
    DraftCreated,
    DraftUpdated,
)


class MessageCreated(BaseModel):
    type: Literal["message.created"] = "message.created"
    message: MessageOut


class ConversationCreated(BaseModel):
    type: Literal["conversation.created"] = "conversation.created"
    conversation: ConversationOut


class ConversationUpdated(BaseModel):
    type: Literal["conversation.updated"] = "conversation.updated"
    conversation: ConversationOut


RealtimeEvent = Annotated[
    MessageCreated
    | ConversationCreated
    | ConversationUpdated
    | KnowledgeDocumentUpdated
    | KnowledgeDocumentDeleted
    | AiTyping
    | AiReplyDelta
    | AiReplyWithdrawn
    | DraftCreated
    | DraftUpdated
    | AlertRaised
    | DashboardUpdated,
    Field(discriminator="type"),
]


# client -> server frames
class Subscribe(BaseModel):
    type: Literal["subscribe"] = "subscribe"
    topic: str = Field(
        max_length=200,
        examples=["conversation:<uuid>", "tenant:<uuid>:queue", "tenant:<uuid>:dashboard"],
    )
    ref: str | None = Field(default=None, max_length=64)


class Unsubscribe(BaseModel):
    type: Literal["unsubscribe"] = "unsubscribe"
    topic: str = Field(max_length=200)
    ref: str | None = Field(default=None, max_length=64)


class Ping(BaseModel):
    type: Literal["ping"] = "ping"
    ref: str | None = Field(default=None, max_length=64)


class Reauthenticate(BaseModel):
    """Hand the socket a fresh access token of the same user before the old one expires."""

    type: Literal["auth"] = "auth"
    access_token: str = Field(max_length=8192)
    ref: str | None = Field(default=None, max_length=64)


ClientFrame = Annotated[
    Subscribe | Unsubscribe | Ping | Reauthenticate, Field(discriminator="type")
]


# server -> client frames
class Subscribed(BaseModel):
    type: Literal["subscribed"] = "subscribed"
    topic: str
    ref: str | None = None


class Unsubscribed(BaseModel):
    type: Literal["unsubscribed"] = "unsubscribed"
    topic: str
    ref: str | None = None


class Authenticated(BaseModel):
    """The socket now runs on the fresh token sent in an `auth` frame."""

    type: Literal["authenticated"] = "authenticated"
    expires_at: int
    ref: str | None = None


class EventFrame(BaseModel):
    type: Literal["event"] = "event"
    topic: str
    event: RealtimeEvent
    request_id: str | None = Field(
        default=None, description="The request that caused the event, for tracing."
    )


class Heartbeat(BaseModel):
    type: Literal["heartbeat"] = "heartbeat"


class Pong(BaseModel):
    type: Literal["pong"] = "pong"
    ref: str | None = None


class Resync(BaseModel):
    """Events may have been missed (the server lost its database listener): refetch state."""

    type: Literal["resync"] = "resync"


class ErrorFrame(BaseModel):
    type: Literal["error"] = "error"
    code: Literal[
        "invalid_frame",
        "invalid_token",
        "token_expired",
        "unknown_topic",
        "forbidden_topic",
        "too_many_subscriptions",
    ]
    message: str
    topic: str | None = None
    ref: str | None = None


ServerFrame = Annotated[
    Subscribed | Unsubscribed | Authenticated | EventFrame | Heartbeat | Pong | Resync | ErrorFrame,
    Field(discriminator="type"),
]

client_frame_adapter: TypeAdapter[Subscribe | Unsubscribe | Ping | Reauthenticate] = TypeAdapter(
    ClientFrame
)


CONTRACT_TYPES: tuple[tuple[str, Any], ...] = (
    ("ClientFrame", ClientFrame),
    ("ServerFrame", ServerFrame),
    ("RealtimeEvent", RealtimeEvent),
)


def definitions(ref_template: str) -> dict[str, Any]:
    """JSON Schema of the protocol's unions and every model they use, keyed by name."""
    defs: dict[str, Any] = {}
    for name, annotation in CONTRACT_TYPES:
        schema = TypeAdapter(annotation).json_schema(ref_template=ref_template)
        defs.update(schema.pop("$defs", {}))
        defs[name] = schema
    return defs


def json_schema() -> dict[str, Any]:
    """One document with both directions of the protocol and the event union."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Contact center realtime protocol",
        "description": (
            "WebSocket /api/v1/realtime?access_token=<jwt>. Clients send ClientFrame; the server "
            "sends ServerFrame; EventFrame.event is a RealtimeEvent. Topics: conversation:<id>, "
            "tenant:<id>:conversations, tenant:<id>:queue and tenant:<id>:knowledge (staff), "
            "tenant:<id>:dashboard "
            "(supervisors and admins)."
        ),
        "oneOf": [{"$ref": "#/$defs/ClientFrame"}, {"$ref": "#/$defs/ServerFrame"}],
        "$defs": dict(sorted(definitions("#/$defs/{model}").items())),
    }
