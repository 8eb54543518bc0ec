"""Public, read-only facts about a tenant that its web widget needs before anyone signs in."""

from __future__ import annotations

from fastapi import APIRouter, Path, Response

from contactcenter.core.database import SystemSession
from contactcenter.core.errors import AppError, ErrorCode, responses
from contactcenter.tenants import repository
from contactcenter.tenants.schemas import WidgetConfig

router = APIRouter(prefix="/api/v1", tags=["widget"])


@router.get(
    "/widget/config/{tenant}",
    response_model=WidgetConfig,
    responses=responses(ErrorCode.tenant_not_found, ErrorCode.validation_failed),
    summary="The widget's branding: name, colour, logo and greeting (public)",
)
async def widget_config(
    session: SystemSession,
    response: Response,
    tenant: str = Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", examples=["demo"]),
) -> WidgetConfig:
    found = await repository.get_by_slug(session, tenant)
    if found is None:
        raise AppError(ErrorCode.tenant_not_found, f"no tenant has the slug {tenant!r}")
    response.headers["cache-control"] = "public, max-age=60"
    return WidgetConfig.of(found.slug, found.name, found.settings or {})
