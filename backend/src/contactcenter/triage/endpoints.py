from __future__ import annotations

import time

from fastapi import APIRouter, Request

from contactcenter.auth.dependencies import StaffPrincipal
from contactcenter.core.errors import ErrorCode, responses
from contactcenter.core.logging import current_request_id
from contactcenter.triage.schemas import ClassifyRequest, ClassifyResponse
from contactcenter.triage.service import Triage

router = APIRouter(prefix="/api/v1", tags=["triage"])


@router.post(
    "/classify",
    response_model=ClassifyResponse,
    responses=responses(
        ErrorCode.not_authenticated,
        ErrorCode.invalid_token,
        ErrorCode.token_expired,
        ErrorCode.forbidden,
        ErrorCode.validation_failed,
    ),
    summary="Triage one message: informational, service_action or safety_compliance",
    description=(
        "Runs the offline classifier (no API key, no network): the category, its confidence, "
        "the decision path and the next step. Safety comes first: a message that could be "
        "safety-related is classified `safety_compliance`."
    ),
    name="classify",
)
async def classify(
    request: Request, body: ClassifyRequest, principal: StaffPrincipal
) -> ClassifyResponse:
    started = time.perf_counter()
    triage: Triage = request.app.state.triage
    result = await triage.classify(body.message, source="api")
    return ClassifyResponse(
        request_id=current_request_id() or "",
        category=result.category,
        confidence=round(result.confidence, 4),
        decision_path=result.decision_path,
        next_step=result.next_step,
        processing_time_ms=round((time.perf_counter() - started) * 1000, 2),
    )
