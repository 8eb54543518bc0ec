from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from contactcenter.auth import service
from contactcenter.auth.dependencies import CurrentPrincipal, UserSession
from contactcenter.auth.schemas import (
    LoginRequest,
    RefreshRequest,
    TokenResponse,
    UserOut,
    WidgetSessionRequest,
)
from contactcenter.core.database import SystemSession
from contactcenter.core.errors import ErrorCode, responses

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post(
    "/auth/login",
    response_model=TokenResponse,
    responses=responses(ErrorCode.invalid_credentials, ErrorCode.validation_failed),
    summary="Sign in with e-mail and password (staff)",
)
async def login(body: LoginRequest, request: Request, session: SystemSession) -> TokenResponse:
    return await service.login(
        session,
        request.app.state.issuer,
        email=body.email,
        password=body.password,
        user_agent=request.headers.get("user-agent"),
    )


@router.post(
    "/auth/refresh",
    response_model=TokenResponse,
    responses=responses(ErrorCode.session_expired, ErrorCode.validation_failed),
    summary="Exchange a refresh token for new tokens (rotates it; fails after 1 h idle)",
)
async def refresh(body: RefreshRequest, request: Request, session: SystemSession) -> TokenResponse:
    return await service.refresh(
        session, request.app.state.issuer, request.app.state.settings.auth, body.refresh_token
    )


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(ErrorCode.not_authenticated, ErrorCode.invalid_token),
    summary="End the current session (its refresh token stops working)",
)
async def logout(principal: CurrentPrincipal, session: SystemSession) -> Response:
    await service.logout(session, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/auth/me",
    response_model=UserOut,
    responses=responses(ErrorCode.not_authenticated, ErrorCode.invalid_token),
    summary="The signed-in user",
)
async def me(principal: CurrentPrincipal, session: UserSession) -> UserOut:
    return await service.me(session, principal)


@router.post(
    "/widget/session",
    response_model=TokenResponse,
    status_code=status.HTTP_201_CREATED,
    responses=responses(ErrorCode.tenant_not_found, ErrorCode.validation_failed),
    summary="Start an anonymous customer session for a tenant's web widget",
    tags=["widget"],
)
async def widget_session(
    body: WidgetSessionRequest, request: Request, session: SystemSession
) -> TokenResponse:
    return await service.start_widget_session(
        session,
        request.app.state.issuer,
        tenant_slug=body.tenant,
        user_agent=request.headers.get("user-agent"),
    )
