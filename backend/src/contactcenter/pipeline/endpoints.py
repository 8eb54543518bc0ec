"""The AI's evidence for staff, and the tenant's confidence threshold."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update

from contactcenter.audit import service as audit
from contactcenter.auth.dependencies import StaffPrincipal, UserSession
from contactcenter.conversations import repository as conversations
from contactcenter.core.database import Database
from contactcenter.core.errors import AppError, ErrorCode, responses
from contactcenter.models import Tenant
from contactcenter.pipeline import repository
from contactcenter.pipeline.schemas import OutcomeOut

router = APIRouter(prefix="/api/v1", tags=["pipeline"])

_AUTH_ERRORS = (ErrorCode.not_authenticated, ErrorCode.invalid_token, ErrorCode.token_expired)


POLICY_FIELDS = ("confidence_threshold", "escalation_after_s", "session_idle_s", "retention_days")


class TenantPolicyOut(BaseModel):
    confidence_threshold: float = Field(
        description="Replies scoring at or above it are sent without review (safety never is)."
    )
    escalation_after_s: int = Field(description="A draft waiting longer is escalated.")
    session_idle_s: int = Field(description="A conversation idle longer is closed as expired.")
    retention_days: int = Field(description="Conversations older than this are purged.")


class TenantPolicyUpdate(BaseModel):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    confidence_threshold: float | None = Field(default=None, ge=0.5, le=1.0)
    escalation_after_s: int | None = Field(default=None, ge=10, le=86_400)
    session_idle_s: int | None = Field(default=None, ge=60, le=2_592_000)
    retention_days: int | None = Field(default=None, ge=1, le=3650)


def _policy_of(tenant: Tenant) -> TenantPolicyOut:
    return TenantPolicyOut(
        confidence_threshold=round(tenant.confidence_threshold, 4),
        escalation_after_s=tenant.escalation_after_s,
        session_idle_s=tenant.session_idle_s,
        retention_days=tenant.retention_days,
    )


@router.get(
    "/conversations/{conversation_id}/outcomes",
    response_model=list[OutcomeOut],
    responses=responses(*_AUTH_ERRORS, ErrorCode.forbidden, ErrorCode.conversation_not_found),
    summary="The AI's decisions in a conversation, with their evidence (staff)",
    name="list-outcomes",
)
async def list_outcomes(
    conversation_id: UUID, principal: StaffPrincipal, session: UserSession
) -> list[OutcomeOut]:
    if await conversations.get_conversation(session, principal, conversation_id) is None:
        raise AppError(
            ErrorCode.conversation_not_found, f"no conversation {conversation_id} was found"
        )
    rows = await repository.outcomes_of_conversation(session, principal.tenant_id, conversation_id)
    return [OutcomeOut.model_validate(row) for row in rows]


@router.get(
    "/tenant/policy",
    response_model=TenantPolicyOut,
    responses=responses(*_AUTH_ERRORS, ErrorCode.forbidden),
    summary="The tenant's AI policy (staff)",
    name="get-policy",
)
async def get_policy(principal: StaffPrincipal, session: UserSession) -> TenantPolicyOut:
    tenant = (
        await session.execute(select(Tenant).where(Tenant.id == principal.tenant_id))
    ).scalar_one()
    return _policy_of(tenant)


@router.patch(
    "/tenant/policy",
    response_model=TenantPolicyOut,
    responses=responses(*_AUTH_ERRORS, ErrorCode.forbidden, ErrorCode.validation_failed),
    summary="Change the threshold or the lifecycle limits (supervisors and admins)",
    name="update-policy",
)
async def update_policy(
    request: Request, body: TenantPolicyUpdate, principal: StaffPrincipal
) -> TenantPolicyOut:
    if not principal.is_supervisor:
        raise AppError(ErrorCode.forbidden, "only supervisors and admins change the AI policy")
    changes = body.model_dump(exclude_none=True)
    db: Database = request.app.state.db
    # tenants are not writable under RLS: the service writes, after the role check above
    async with db.transaction() as session:
        tenant = (
            await session.execute(
                select(Tenant).where(Tenant.id == principal.tenant_id).with_for_update()
            )
        ).scalar_one()
        before = _policy_of(tenant).model_dump()
        if changes:
            await session.execute(
                update(Tenant).where(Tenant.id == principal.tenant_id).values(**changes)
            )
            await audit.record(
                session,
                tenant_id=principal.tenant_id,
                actor_id=principal.user_id,
                actor_kind=principal.role.value,
                action="tenant.policy_updated",
                subject_type="tenant",
                subject_id=principal.tenant_id,
                before={k: before[k] for k in changes},
                after=changes,
            )
        return TenantPolicyOut(**{**before, **changes})
