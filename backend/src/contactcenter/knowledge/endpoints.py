from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, BackgroundTasks, File, Query, Request, Response, UploadFile, status

from contactcenter.auth.dependencies import StaffPrincipal, UserSession
from contactcenter.core.config import Settings
from contactcenter.core.errors import AppError, ErrorCode, responses
from contactcenter.knowledge import service
from contactcenter.knowledge.index import KnowledgeIndex
from contactcenter.knowledge.schemas import (
    DocumentOut,
    DocumentPage,
    DocumentStatus,
    SearchRequest,
    SearchResponse,
    UploadOutcome,
    UploadResponse,
)

router = APIRouter(prefix="/api/v1/knowledge", tags=["knowledge"])

AUTH_ERRORS = (
    ErrorCode.not_authenticated,
    ErrorCode.invalid_token,
    ErrorCode.token_expired,
    ErrorCode.forbidden,
)
UPLOAD_PATH = "/api/v1/knowledge/documents"


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _index(request: Request) -> KnowledgeIndex:
    index: KnowledgeIndex = request.app.state.knowledge
    return index


def _wake_worker(request: Request) -> None:
    worker = getattr(request.app.state, "ingestion", None)
    if worker is not None:
        worker.wake()


@router.post(
    "/documents",
    response_model=UploadResponse,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(
        *AUTH_ERRORS,
        ErrorCode.document_rejected,
        ErrorCode.payload_too_large,
        ErrorCode.validation_failed,
    ),
    summary="Upload documents (Markdown, text, HTML, PDF, FAQ as CSV or JSON) to be indexed",
    description=(
        "Each file becomes a document queued for indexing, or replaces the document with the "
        "same file name; the same file again changes nothing. Files that cannot be accepted "
        "are listed with a reason; when none can, the answer is 422. Progress and the final "
        "status arrive on the realtime topic `tenant:<id>:knowledge`."
    ),
    name="upload",
)
async def upload_documents(
    request: Request,
    response: Response,
    background: BackgroundTasks,
    principal: StaffPrincipal,
    session: UserSession,
    files: Annotated[list[UploadFile], File(description="One or more files")],
) -> UploadResponse:
    incoming = [
        service.IncomingFile(f.filename or "", f.content_type, await f.read()) for f in files
    ]
    results = await service.upload(session, principal, incoming, _settings(request))
    if all(r.outcome is UploadOutcome.rejected for r in results):
        raise AppError(
            ErrorCode.document_rejected,
            "; ".join(f"{r.filename}: {r.error}" for r in results),
        )
    if all(r.outcome is UploadOutcome.unchanged for r in results):
        response.status_code = status.HTTP_200_OK
    background.add_task(_wake_worker, request)  # runs after the commit
    return UploadResponse(results=results)


@router.get(
    "/documents",
    response_model=DocumentPage,
    responses=responses(*AUTH_ERRORS, ErrorCode.invalid_cursor, ErrorCode.validation_failed),
    summary="List the tenant's documents with their indexing status, newest first",
    name="list",
)
async def list_documents(
    request: Request,
    principal: StaffPrincipal,
    session: UserSession,
    status_: Annotated[DocumentStatus | None, Query(alias="status")] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
) -> DocumentPage:
    api = _settings(request).api
    return await service.list_documents(
        session,
        principal,
        status=status_,
        cursor=cursor,
        limit=min(limit or api.default_page_size, api.max_page_size),
    )


@router.get(
    "/documents/{document_id}",
    response_model=DocumentOut,
    responses=responses(*AUTH_ERRORS, ErrorCode.document_not_found),
    summary="Get a document and its indexing status",
    name="get",
)
async def get_document(
    document_id: UUID, principal: StaffPrincipal, session: UserSession
) -> DocumentOut:
    return DocumentOut.model_validate(await service.get_document(session, principal, document_id))


@router.delete(
    "/documents/{document_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(
        *AUTH_ERRORS, ErrorCode.document_not_found, ErrorCode.knowledge_unavailable
    ),
    summary="Delete a document and its passages",
    name="delete",
)
async def delete_document(
    request: Request, document_id: UUID, principal: StaffPrincipal, session: UserSession
) -> Response:
    await service.delete_document(
        session, principal, document_id, _index(request), _settings(request)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/documents/{document_id}/reindex",
    response_model=DocumentOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(*AUTH_ERRORS, ErrorCode.document_not_found),
    summary="Parse, chunk and embed a document again",
    name="reindex",
)
async def reindex_document(
    request: Request,
    background: BackgroundTasks,
    document_id: UUID,
    principal: StaffPrincipal,
    session: UserSession,
) -> DocumentOut:
    out = await service.reindex_document(session, principal, document_id, _settings(request))
    background.add_task(_wake_worker, request)
    return out


@router.post(
    "/search",
    response_model=SearchResponse,
    responses=responses(*AUTH_ERRORS, ErrorCode.validation_failed, ErrorCode.knowledge_unavailable),
    summary="What the AI would retrieve for a question (hybrid search, this tenant only)",
    name="search",
)
async def search(
    request: Request, body: SearchRequest, principal: StaffPrincipal
) -> SearchResponse:
    return await service.search(principal, _index(request), body.query, body.limit)
