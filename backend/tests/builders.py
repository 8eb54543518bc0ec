"""Small builders: tenants, staff, customers and conversations, each test its own."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx

from contactcenter.auth.principal import Role
from contactcenter.core.database import Database
from contactcenter.tenants import service as tenants

STAFF_PASSWORD = "correct horse battery staple"


@dataclass
class Actor:
    """Someone who can call the API: their user id, tenant, role and tokens."""

    user_id: UUID
    tenant_id: UUID
    role: Role
    access_token: str
    refresh_token: str
    email: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    @property
    def claims(self) -> dict[str, Any]:
        return {
            "sub": str(self.user_id),
            "role": "authenticated",
            "aud": "authenticated",
            "app_metadata": {"tenant_id": str(self.tenant_id), "role": self.role.value},
        }


@dataclass
class TenantRef:
    id: UUID
    slug: str


@dataclass
class Builder:
    db: Database
    client: httpx.AsyncClient
    _n: int = field(default=0)

    async def tenant(self, name: str = "Test Pharmacy") -> TenantRef:
        slug = f"t-{secrets.token_hex(6)}"
        async with self.db.transaction() as session:
            tenant = await tenants.create_tenant(session, slug, name)
            return TenantRef(id=tenant.id, slug=tenant.slug)

    async def staff(self, tenant: TenantRef, role: Role = Role.agent) -> Actor:
        email = f"{role.value}-{secrets.token_hex(5)}@{tenant.slug}.example"
        async with self.db.transaction() as session:
            found = await tenants.repository.get(session, tenant.id)
            assert found is not None
            await tenants.upsert_staff_user(
                session, found, email=email, role=role, password=STAFF_PASSWORD
            )
        response = await self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": STAFF_PASSWORD}
        )
        assert response.status_code == 200, response.text
        return self._actor(response.json(), email)

    async def customer(self, tenant: TenantRef) -> Actor:
        response = await self.client.post("/api/v1/widget/session", json={"tenant": tenant.slug})
        assert response.status_code == 201, response.text
        return self._actor(response.json(), None)

    async def conversation(self, customer: Actor) -> dict[str, Any]:
        response = await self.client.post("/api/v1/conversations", headers=customer.headers)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def message(self, actor: Actor, conversation_id: UUID | str, text: str) -> dict[str, Any]:
        response = await self.client.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            headers=actor.headers,
            json={"text": text},
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    @staticmethod
    def _actor(body: dict[str, Any], email: str | None) -> Actor:
        user = body["user"]
        return Actor(
            user_id=UUID(user["id"]),
            tenant_id=UUID(user["tenant_id"]),
            role=Role(user["role"]),
            access_token=body["access_token"],
            refresh_token=body["refresh_token"],
            email=email,
        )
