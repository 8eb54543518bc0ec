"""The `contactcenter` command."""

from __future__ import annotations

import asyncio
import getpass
import os
from pathlib import Path
from typing import Any

import typer

from contactcenter.core.config import Settings, get_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="AI contact center backend.")


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Interface to bind (HOST; default 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (PORT; default 8000)."),
    workers: int | None = typer.Option(None, help="Processes (WEB_CONCURRENCY; default 1)."),
) -> None:
    """Start the API (embedded PostgreSQL unless DATABASE_URL is set)."""
    import uvicorn

    from contactcenter.main import create_app

    overrides = {"host": host, "port": port, "workers": workers}
    settings = get_settings().model_copy(update={k: v for k, v in overrides.items() if v})
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level.lower(),
        "access_log": False,
        "ws_ping_interval": None,  # the app sends its own heartbeats
        "ws_per_message_deflate": settings.realtime.ws_compression,
        "timeout_graceful_shutdown": 10,
    }
    if settings.workers == 1:
        uvicorn.run(create_app(settings, print_banner=True), **options)
        return
    # several processes: each imports the app and reads its settings from the environment
    os.environ["HOST"] = settings.host
    os.environ["PORT"] = str(settings.port)
    uvicorn.run(
        "contactcenter.main:create_app_from_env", factory=True, workers=settings.workers, **options
    )


@app.command()
def migrate() -> None:
    """Apply database migrations (also done at every start)."""
    from contactcenter.core import database

    async def run(settings: Settings) -> None:
        db = await database.connect(settings)
        try:
            await database.migrate(db)
        finally:
            await db.dispose()

    asyncio.run(run(get_settings()))
    typer.echo(f"database at revision {database.head_revision()}")


@app.command("create-tenant")
def create_tenant(slug: str, name: str) -> None:
    """Create a tenant (company)."""
    from contactcenter.core import database
    from contactcenter.tenants import repository, service

    async def run(settings: Settings) -> None:
        db = await database.connect(settings)
        try:
            await database.migrate(db)
            async with db.transaction() as session:
                if await repository.get_by_slug(session, slug) is not None:
                    raise typer.BadParameter(f"tenant {slug!r} exists already")
                tenant = await service.create_tenant(session, slug, name)
                typer.echo(f"created tenant {tenant.slug} ({tenant.id})")
        finally:
            await db.dispose()

    asyncio.run(run(get_settings()))


@app.command("create-user")
def create_user(
    tenant: str = typer.Option(..., help="The tenant's slug."),
    email: str = typer.Option(...),
    role: str = typer.Option("agent", help="agent, supervisor or admin."),
) -> None:
    """Create a staff account or set its password (from USER_PASSWORD or a prompt)."""
    from contactcenter.auth.principal import Role
    from contactcenter.core import database
    from contactcenter.tenants import repository, service

    try:
        staff_role = Role(role)
    except ValueError as exc:
        raise typer.BadParameter("role must be agent, supervisor or admin") from exc
    if staff_role is Role.customer:
        raise typer.BadParameter("customers sign in through the widget, not with a password")
    password = os.environ.get("USER_PASSWORD") or getpass.getpass("password: ")
    if len(password) < 10:
        raise typer.BadParameter("the password must be at least 10 characters")

    async def run(settings: Settings) -> None:
        db = await database.connect(settings)
        try:
            await database.migrate(db)
            async with db.transaction() as session:
                found = await repository.get_by_slug(session, tenant)
                if found is None:
                    raise typer.BadParameter(f"no tenant {tenant!r}")
                user = await service.upsert_staff_user(
                    session, found, email=email, role=staff_role, password=password
                )
                typer.echo(f"{email}: {staff_role.value} of {tenant} ({user.id})")
        finally:
            await db.dispose()

    asyncio.run(run(get_settings()))


@app.command("export-contract")
def export_contract(directory: Path = typer.Argument(Path("shared"))) -> None:
    """Write openapi.json and realtime-events.schema.json (the frontend's types come from them)."""
    from contactcenter import contract
    from contactcenter.main import create_app

    for path in contract.write(create_app(Settings()), directory):
        typer.echo(f"wrote {path}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
