"""The approval queue and conversation control (staff only; the audit trail for supervisors)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request

from contactcenter.auth.dependencies import StaffPrincipal, UserSession
from contactcenter.conversations.schemas import ConversationOut, MessageOut
from contactcenter.core.errors import AppError, ErrorCode, responses
from contactcenter.hitl import service
from contactcenter.hitl.schemas import (
    AuditEventOut,
    DraftDetail,
    DraftPage,
    DraftStatus,
    EditRequest,
    NoteRequest,
    RejectRequest,
    RetryRequest,
)
from contactcenter.pipeline.schemas import DraftOut
from contactcenter.triage.schemas import Category

router = APIRouter(prefix="/api/v1", tags=["hitl"])

_AUTH = (
    ErrorCode.not_authenticated,
    ErrorCode.invalid_token,
    ErrorCode.token_expired,
    ErrorCode.forbidden,
)
_DECIDE = responses(
    *_AUTH,
    ErrorCode.draft_not_found,
    ErrorCode.draft_claimed,
    ErrorCode.draft_decided,
    ErrorCode.conversation_closed,
    ErrorCode.validation_failed,
)
_CONTROL = responses(*_AUTH, ErrorCode.conversation_not_found, ErrorCode.conversation_closed)


@router.get(
    "/drafts",
    response_model=DraftPage,
    responses=responses(*_AUTH, ErrorCode.invalid_cursor, ErrorCode.validation_failed),
    summary="The approval queue: safety first, then urgency, then age",
    name="list-drafts",
)
async def list_drafts(
    principal: StaffPrincipal,
    session: UserSession,
    status: DraftStatus | None = "pending_review",
    category: Category | None = None,
    priority: Literal["normal", "high", "urgent"] | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DraftPage:
    return await service.list_drafts(
        session,
        principal,
        status=status,
        category=category.value if category else None,
        priority=priority,
        cursor=cursor,
        limit=limit,
    )


@router.get(
    "/drafts/{draft_id}",
    response_model=DraftDetail,
    responses=responses(*_AUTH, ErrorCode.draft_not_found),
    summary="A draft with the customer's question, the history and the AI's evidence",
    name="get-draft",
)
async def get_draft(draft_id: UUID, principal: StaffPrincipal, session: UserSession) -> DraftDetail:
    return await service.get_draft(session, principal, draft_id)


@router.post(
    "/drafts/{draft_id}/claim",
    response_model=DraftOut,
    responses=_DECIDE,
    summary=f"Work on a draft: a lock for {service.CLAIM_TTL_S} s (claim again to extend)",
    name="claim-draft",
)
async def claim(draft_id: UUID, request: Request, principal: StaffPrincipal) -> DraftOut:
    return await service.claim(
        request.app.state.db, request.app.state.settings, principal, draft_id
    )


@router.post(
    "/drafts/{draft_id}/release",
    response_model=DraftOut,
    responses=_DECIDE,
    summary="Give a claimed draft back to the queue",
    name="release-draft",
)
async def release(draft_id: UUID, request: Request, principal: StaffPrincipal) -> DraftOut:
    return await service.release(
        request.app.state.db, request.app.state.settings, principal, draft_id
    )


@router.post(
    "/drafts/{draft_id}/approve",
    response_model=DraftOut,
    responses=_DECIDE,
    summary="Send the draft to the customer unchanged",
    name="approve-draft",
)
async def approve(draft_id: UUID, request: Request, principal: StaffPrincipal) -> DraftOut:
    return await service.decide(
        request.app.state.db, request.app.state.settings, principal, draft_id, "approve"
    )


@router.post(
    "/drafts/{draft_id}/edit",
    response_model=DraftOut,
    responses=_DECIDE,
    summary="Send your edited text instead; the original is kept beside it",
    name="edit-draft",
)
async def edit(
    draft_id: UUID, body: EditRequest, request: Request, principal: StaffPrincipal
) -> DraftOut:
    return await service.decide(
        request.app.state.db,
        request.app.state.settings,
        principal,
        draft_id,
        "edit",
        text_=body.text,
    )


@router.post(
    "/drafts/{draft_id}/reject",
    response_model=DraftOut,
    responses=_DECIDE,
    summary="Send nothing; record why (then reply yourself)",
    name="reject-draft",
)
async def reject(
    draft_id: UUID, body: RejectRequest, request: Request, principal: StaffPrincipal
) -> DraftOut:
    return await service.decide(
        request.app.state.db,
        request.app.state.settings,
        principal,
        draft_id,
        "reject",
        reason=body.reason,
    )


@router.post(
    "/drafts/{draft_id}/retry",
    response_model=DraftOut,
    status_code=201,
    responses=responses(
        *_AUTH,
        ErrorCode.draft_not_found,
        ErrorCode.conflict,
        ErrorCode.conversation_closed,
        ErrorCode.validation_failed,
    ),
    summary="After a rejection: the AI writes a new draft, steered by your hint",
    name="retry-draft",
)
async def retry(
    draft_id: UUID, body: RetryRequest, request: Request, principal: StaffPrincipal
) -> DraftOut:
    return await service.retry(
        request.app.state.db,
        request.app.state.settings,
        principal,
        draft_id,
        body.hint,
        request.app.state.pipeline,
    )


@router.post(
    "/conversations/{conversation_id}/takeover",
    response_model=ConversationOut,
    responses=_CONTROL,
    summary="Take the conversation over: the AI stops answering and only suggests drafts",
    name="take-over",
)
async def take_over(
    conversation_id: UUID, request: Request, principal: StaffPrincipal
) -> ConversationOut:
    return await service.take_over(
        request.app.state.db, request.app.state.settings, principal, conversation_id
    )


@router.post(
    "/conversations/{conversation_id}/handback",
    response_model=ConversationOut,
    responses=_CONTROL,
    summary="Hand the conversation back to the AI",
    name="hand-back",
)
async def hand_back(
    conversation_id: UUID, request: Request, principal: StaffPrincipal
) -> ConversationOut:
    return await service.hand_back(
        request.app.state.db, request.app.state.settings, principal, conversation_id
    )


@router.post(
    "/conversations/{conversation_id}/resolve",
    response_model=ConversationOut,
    responses=_CONTROL,
    summary="Resolve the conversation; drafts still waiting are superseded",
    name="resolve",
)
async def resolve(
    conversation_id: UUID, request: Request, principal: StaffPrincipal
) -> ConversationOut:
    return await service.resolve(
        request.app.state.db, request.app.state.settings, principal, conversation_id
    )


@router.post(
    "/conversations/{conversation_id}/notes",
    response_model=MessageOut,
    status_code=201,
    responses=responses(*_AUTH, ErrorCode.conversation_not_found, ErrorCode.validation_failed),
    summary="An internal note: staff see it, the customer never does",
    name="add-note",
)
async def add_note(
    conversation_id: UUID, body: NoteRequest, request: Request, principal: StaffPrincipal
) -> MessageOut:
    return await service.add_note(
        request.app.state.db, request.app.state.settings, principal, conversation_id, body.text
    )


@router.get(
    "/conversations/{conversation_id}/audit",
    response_model=list[AuditEventOut],
    responses=responses(*_AUTH, ErrorCode.conversation_not_found),
    summary="Every recorded change of the conversation and its drafts (supervisors, admins)",
    name="conversation-audit",
)
async def conversation_audit(
    conversation_id: UUID, principal: StaffPrincipal, session: UserSession
) -> list[AuditEventOut]:
    if not principal.is_supervisor:
        raise AppError(ErrorCode.forbidden, "only supervisors and admins read the audit trail")
    return await service.conversation_audit(session, principal, conversation_id)
