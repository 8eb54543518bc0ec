"""Errors are values with a code; responses are RFC 9457 problem details."""

from __future__ import annotations

from enum import Enum
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, Field

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://contactcenter.dev/problems/"


class ErrorCode(Enum):
    """Every expected failure, with the HTTP status it maps to."""

    bad_request = ("bad_request", HTTPStatus.BAD_REQUEST)
    malformed_json = ("malformed_json", HTTPStatus.BAD_REQUEST)
    validation_failed = ("validation_failed", HTTPStatus.UNPROCESSABLE_ENTITY)
    message_too_long = ("message_too_long", HTTPStatus.UNPROCESSABLE_ENTITY)
    invalid_cursor = ("invalid_cursor", HTTPStatus.UNPROCESSABLE_ENTITY)
    payload_too_large = ("payload_too_large", HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    rate_limited = ("rate_limited", HTTPStatus.TOO_MANY_REQUESTS)
    unsupported_media_type = ("unsupported_media_type", HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
    not_authenticated = ("not_authenticated", HTTPStatus.UNAUTHORIZED)
    invalid_token = ("invalid_token", HTTPStatus.UNAUTHORIZED)
    token_expired = ("token_expired", HTTPStatus.UNAUTHORIZED)
    invalid_credentials = ("invalid_credentials", HTTPStatus.UNAUTHORIZED)
    session_expired = ("session_expired", HTTPStatus.UNAUTHORIZED)
    forbidden = ("forbidden", HTTPStatus.FORBIDDEN)
    not_found = ("not_found", HTTPStatus.NOT_FOUND)
    tenant_not_found = ("tenant_not_found", HTTPStatus.NOT_FOUND)
    conversation_not_found = ("conversation_not_found", HTTPStatus.NOT_FOUND)
    method_not_allowed = ("method_not_allowed", HTTPStatus.METHOD_NOT_ALLOWED)
    conflict = ("conflict", HTTPStatus.CONFLICT)
    conversation_closed = ("conversation_closed", HTTPStatus.CONFLICT)
    draft_not_found = ("draft_not_found", HTTPStatus.NOT_FOUND)
    draft_claimed = ("draft_claimed", HTTPStatus.CONFLICT)
    draft_decided = ("draft_decided", HTTPStatus.CONFLICT)
    document_not_found = ("document_not_found", HTTPStatus.NOT_FOUND)
    document_rejected = ("document_rejected", HTTPStatus.UNPROCESSABLE_ENTITY)
    knowledge_unavailable = ("knowledge_unavailable", HTTPStatus.SERVICE_UNAVAILABLE)
    service_unavailable = ("service_unavailable", HTTPStatus.SERVICE_UNAVAILABLE)
    internal_error = ("internal_error", HTTPStatus.INTERNAL_SERVER_ERROR)

    def __init__(self, slug: str, status: HTTPStatus) -> None:
        self.slug = slug
        self.status = status

    @property
    def type_uri(self) -> str:
        return PROBLEM_TYPE_BASE + self.slug.replace("_", "-")


class AppError(Exception):
    """An expected failure: carries its code, a message that says what to fix, and extras."""

    def __init__(
        self,
        code: ErrorCode,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.headers = headers
        self.extra = extra


class FieldError(BaseModel):
    loc: list[str | int]
    message: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details, with our stable `code` and optional field errors."""

    type: str = Field(examples=[PROBLEM_TYPE_BASE + "conversation-not-found"])
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


def problem_body(
    code: ErrorCode,
    detail: str,
    *,
    instance: str | None = None,
    request_id: str | None = None,
    errors: list[FieldError] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body = Problem(
        type=code.type_uri,
        title=code.status.phrase,
        status=int(code.status),
        detail=detail,
        code=code.slug,
        instance=instance,
        request_id=request_id,
        errors=errors,
    ).model_dump(exclude_none=True)
    if extra:
        body.update(extra)
    return body


def responses(*codes: ErrorCode) -> dict[int | str, dict[str, Any]]:
    """Declare a route's expected errors so the OpenAPI (and the generated client) knows them."""
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(int(code.status), []).append(code.slug)
    return {
        status: {"model": Problem, "description": "Problem details: " + ", ".join(slugs)}
        for status, slugs in by_status.items()
    }
