from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response, status

from contactcenter.auth.dependencies import CurrentPrincipal, UserSession
from contactcenter.auth.principal import Role
from contactcenter.conversations import service
from contactcenter.conversations.schemas import (
    ConversationCreate,
    ConversationOut,
    ConversationStatus,
    MessageCreate,
    MessageOut,
    Page,
)
from contactcenter.core.config import ApiSettings
from contactcenter.core.errors import ErrorCode, responses
from contactcenter.pipeline.backpressure import notice_if_busy

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])

AUTH_ERRORS = (ErrorCode.not_authenticated, ErrorCode.invalid_token, ErrorCode.token_expired)
Cursor = Annotated[str | None, Query(max_length=500, description="`next_cursor` of the last page")]


def _limit(request: Request, limit: int | None) -> int:
    api: ApiSettings = request.app.state.settings.api
    return min(limit or api.default_page_size, api.max_page_size)


Limit = Annotated[int | None, Query(ge=1, le=1000, description="Page size (capped by the server)")]


@router.post(
    "",
    response_model=ConversationOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH_ERRORS, ErrorCode.forbidden, ErrorCode.validation_failed),
    summary="Open a conversation (customers)",
    name="create",
)
async def create_conversation(
    request: Request,
    principal: CurrentPrincipal,
    session: UserSession,
    body: ConversationCreate | None = None,
) -> ConversationOut:
    return await service.open_conversation(
        session, principal, body or ConversationCreate(), request.app.state.settings
    )


@router.get(
    "",
    response_model=Page[ConversationOut],
    responses=responses(*AUTH_ERRORS, ErrorCode.invalid_cursor, ErrorCode.validation_failed),
    summary="List conversations, most recent activity first (staff: the tenant's; customers: own)",
    name="list",
)
async def list_conversations(
    request: Request,
    principal: CurrentPrincipal,
    session: UserSession,
    status_: Annotated[ConversationStatus | None, Query(alias="status")] = None,
    cursor: Cursor = None,
    limit: Limit = None,
) -> Page[ConversationOut]:
    return await service.list_conversations(
        session, principal, status=status_, cursor=cursor, limit=_limit(request, limit)
    )


@router.get(
    "/{conversation_id}",
    response_model=ConversationOut,
    responses=responses(*AUTH_ERRORS, ErrorCode.conversation_not_found),
    summary="Get a conversation",
    name="get",
)
async def get_conversation(
    conversation_id: UUID, principal: CurrentPrincipal, session: UserSession
) -> ConversationOut:
    return await service.get_conversation(session, principal, conversation_id)


@router.post(
    "/{conversation_id}/messages",
    response_model=MessageOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": MessageOut, "description": "A retry: the message was already stored"},
        **responses(
            *AUTH_ERRORS,
            ErrorCode.conversation_not_found,
            ErrorCode.conversation_closed,
            ErrorCode.message_too_long,
            ErrorCode.validation_failed,
            ErrorCode.malformed_json,
            ErrorCode.payload_too_large,
        ),
    },
    summary="Post a message (customers in their conversation, staff in their tenant's)",
    name="post-message",
)
async def post_message(
    conversation_id: UUID,
    body: MessageCreate,
    request: Request,
    response: Response,
    background: BackgroundTasks,
    principal: CurrentPrincipal,
    session: UserSession,
) -> MessageOut:
    settings = request.app.state.settings
    message, created = await service.post_message(
        session, principal, conversation_id, body, settings
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    elif principal.role is Role.customer:
        # after the commit: a long reply queue gets the customer a polite word, not an error
        background.add_task(
            notice_if_busy, request.app.state.db, settings, principal.tenant_id, conversation_id
        )
    return message


@router.get(
    "/{conversation_id}/messages",
    response_model=Page[MessageOut],
    responses=responses(*AUTH_ERRORS, ErrorCode.conversation_not_found, ErrorCode.invalid_cursor),
    summary="List a conversation's messages, oldest first",
    name="list-messages",
)
async def list_messages(
    conversation_id: UUID,
    request: Request,
    principal: CurrentPrincipal,
    session: UserSession,
    cursor: Cursor = None,
    limit: Limit = None,
) -> Page[MessageOut]:
    return await service.list_messages(
        session, principal, conversation_id, cursor=cursor, limit=_limit(request, limit)
    )
