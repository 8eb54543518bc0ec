"""ORM models, kept together so cross-domain relations need no import cycles."""

from contactcenter.models.audit import AuditEvent
from contactcenter.models.base import Base
from contactcenter.models.conversation import Conversation, Message
from contactcenter.models.knowledge import (
    KnowledgeChunk,
    KnowledgeCollection,
    KnowledgeDocument,
    KnowledgeFile,
)
from contactcenter.models.pipeline import AiOutcome, ComplianceRecord, Draft, ReplyJob, Ticket
from contactcenter.models.tenant import Tenant
from contactcenter.models.user import AuthSession, Credential, User

__all__ = [
    "AiOutcome",
    "AuditEvent",
    "AuthSession",
    "Base",
    "ComplianceRecord",
    "Conversation",
    "Credential",
    "Draft",
    "KnowledgeChunk",
    "KnowledgeCollection",
    "KnowledgeDocument",
    "KnowledgeFile",
    "Message",
    "ReplyJob",
    "Tenant",
    "Ticket",
    "User",
]
