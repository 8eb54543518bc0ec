"""Who is calling: the verified claims of a Supabase-shaped access token."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID


class Role(StrEnum):
    customer = "customer"
    agent = "agent"
    supervisor = "supervisor"
    admin = "admin"


STAFF_ROLES = frozenset({Role.agent, Role.supervisor, Role.admin})
SUPERVISOR_ROLES = frozenset({Role.supervisor, Role.admin})


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: UUID
    tenant_id: UUID
    role: Role
    is_anonymous: bool
    session_id: UUID | None
    expires_at: int
    claims: dict[str, Any]

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_supervisor(self) -> bool:
        return self.role in SUPERVISOR_ROLES
