from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from contactcenter.analytics import service
from contactcenter.analytics.schemas import Dashboard, ThresholdAdvice
from contactcenter.auth.dependencies import StaffPrincipal, UserSession
from contactcenter.core.errors import AppError, ErrorCode, responses

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])


@router.get(
    "/threshold-advice",
    response_model=ThresholdAdvice,
    responses=responses(
        ErrorCode.not_authenticated,
        ErrorCode.invalid_token,
        ErrorCode.token_expired,
        ErrorCode.forbidden,
        ErrorCode.validation_failed,
    ),
    summary="Reviewers' approve / edit / reject rates by confidence band and category, and "
    "what each candidate threshold would have sent and got right (supervisors, admins)",
    name="threshold-advice",
)
async def threshold_advice(
    principal: StaffPrincipal,
    session: UserSession,
    window_days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> ThresholdAdvice:
    if not principal.is_supervisor:
        raise AppError(ErrorCode.forbidden, "only supervisors and admins read the advisor")
    return await service.threshold_advice(session, principal.tenant_id, window_days)


@router.get(
    "/dashboard",
    response_model=Dashboard,
    responses=responses(
        ErrorCode.not_authenticated,
        ErrorCode.invalid_token,
        ErrorCode.token_expired,
        ErrorCode.forbidden,
        ErrorCode.validation_failed,
    ),
    summary="The floor at a glance, computed from the stored outcomes, drafts and "
    "conversations (supervisors, admins)",
    name="dashboard",
)
async def dashboard(
    principal: StaffPrincipal,
    session: UserSession,
    window_minutes: Annotated[int, Query(ge=1, le=7 * 24 * 60)] = 60,
) -> Dashboard:
    if not principal.is_supervisor:
        raise AppError(ErrorCode.forbidden, "only supervisors and admins read the dashboard")
    return await service.dashboard(session, principal.tenant_id, window_minutes)
