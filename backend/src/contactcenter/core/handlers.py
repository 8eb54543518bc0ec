"""Every error leaves as RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contactcenter.core.errors import PROBLEM_JSON, AppError, ErrorCode, FieldError, problem_body
from contactcenter.core.logging import current_request_id

log = structlog.get_logger(__name__)

_STATUS_CODES = {
    404: ErrorCode.not_found,
    405: ErrorCode.method_not_allowed,
    413: ErrorCode.payload_too_large,
    415: ErrorCode.unsupported_media_type,
}


def problem_response(
    code: ErrorCode,
    detail: str,
    request: Request | None = None,
    *,
    headers: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body = problem_body(
        code,
        detail,
        instance=request.url.path if request is not None else None,
        request_id=current_request_id(),
        errors=errors,
        extra=extra,
    )
    return JSONResponse(
        body, status_code=int(code.status), headers=headers, media_type=PROBLEM_JSON
    )


def _field_errors(exc: RequestValidationError) -> list[FieldError]:
    out = []
    for err in exc.errors():
        loc = [p for p in err.get("loc", ()) if isinstance(p, str | int)]
        message = str(err.get("msg", "invalid value"))
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        out.append(FieldError(loc=loc, message=message, type=str(err.get("type", "value_error"))))
    return out


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return problem_response(exc.code, exc.detail, request, headers=exc.headers, extra=exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc)
        if any(e.type == "json_invalid" for e in errors):
            return problem_response(
                ErrorCode.malformed_json,
                "the request body is not valid JSON",
                request,
                errors=[e for e in errors if e.type == "json_invalid"],
            )
        summary = "; ".join(
            f"{'.'.join(str(p) for p in e.loc if p != 'body') or 'body'}: {e.message}"
            for e in errors[:5]
        )
        return problem_response(ErrorCode.validation_failed, summary, request, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, ErrorCode.bad_request)
        detail = exc.detail if isinstance(exc.detail, str) else code.status.phrase
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"there is no resource at {request.url.path}"
        return problem_response(code, detail, request, headers=getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(OSError)
    async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        # the client may retry: messages carry client_message_id, so a retry never duplicates
        log.warning("request.database_unavailable", path=request.url.path, error=type(exc).__name__)
        return problem_response(
            ErrorCode.service_unavailable,
            "the database is not reachable right now; retry shortly (a message retried with "
            "the same client_message_id is never stored twice)",
            request,
            headers={"Retry-After": "2"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("request.failed", path=request.url.path, error=type(exc).__name__)
        return problem_response(
            ErrorCode.internal_error,
            "something went wrong on our side; the request id identifies it in our logs",
            request,
        )


class BodySizeLimitMiddleware:
    """Refuse request bodies over the limit with 413, before the application reads them."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, overrides: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.overrides = overrides or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.overrides.get(scope.get("path", ""), self.max_bytes)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(scope, receive, send, limit)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await self._reject(scope, receive, send, limit)

    async def _reject(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem_response(
            ErrorCode.payload_too_large,
            f"the request body is larger than {limit} bytes",
        )
        await response(scope, receive, send)


class _BodyTooLarge(Exception):
    pass
