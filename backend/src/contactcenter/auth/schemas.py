from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from contactcenter.auth.principal import Role
from contactcenter.core.validation import CleanStr


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(max_length=320)
    password: CleanStr = Field(min_length=1, max_length=1024)


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: CleanStr = Field(min_length=10, max_length=200)


class WidgetSessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(
        pattern=r"^[a-z0-9][a-z0-9-]{0,62}$",
        description="The tenant's slug, as in the widget's data-tenant attribute.",
        examples=["demo"],
    )


class UserOut(BaseModel):
    id: UUID
    email: str | None
    role: Role
    tenant_id: UUID
    display_name: str | None = None
    is_anonymous: bool = False


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int = Field(description="Seconds until the access token expires.")
    expires_at: int = Field(description="Unix time at which the access token expires.")
    refresh_token: str
    user: UserOut
