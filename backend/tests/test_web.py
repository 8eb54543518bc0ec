"""The built frontend served by the backend, and the widget's public branding."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from contactcenter.core.config import Settings
from contactcenter.main import create_app
from contactcenter.models import Tenant
from contactcenter.tenants.service import DEMO_BRANDING, ensure_demo_tenant


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<h1>Riverside Pharmacy</h1>")
    (tmp_path / "app.html").write_text('<div id="root"></div>')
    (tmp_path / "widget.js").write_text("(function(){})();")
    (tmp_path / "assets" / "app-1234.js").write_text("console.log(1)")
    (tmp_path / "pharmacy-logo.svg").write_text("<svg/>")
    (tmp_path / "secret.env").write_text("KEY=1")
    return tmp_path


@pytest.fixture
async def web(settings: Settings, dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    # the file routes need no database: no lifespan
    app = create_app(settings.model_copy(update={"web_dir": dist}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_root_serves_the_demo_site_and_console_sections_serve_the_spa(web):
    root = await web.get("/")
    assert root.status_code == 200
    assert "Riverside Pharmacy" in root.text
    assert root.headers["cache-control"] == "no-cache"
    for path in ("/agent", "/agent/conversations/abc", "/supervisor", "/login"):
        page = await web.get(path)
        assert page.status_code == 200, path
        assert 'id="root"' in page.text
    head = await web.head("/agent")
    assert head.status_code == 200


async def test_widget_script_loads_from_other_sites(web):
    response = await web.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["cache-control"] == "no-cache"


async def test_hashed_assets_and_public_files_are_served(web):
    asset = await web.get("/assets/app-1234.js")
    assert asset.status_code == 200
    logo = await web.get("/pharmacy-logo.svg")
    assert logo.status_code == 200
    assert logo.headers["content-type"].startswith("image/svg")


async def test_only_public_file_types_at_the_top_level(web):
    hidden = await web.get("/secret.env")
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "not_found"
    missing = await web.get("/missing.svg")
    assert missing.status_code == 404
    assert (await web.get("/health")).json()["status"] == "ok"  # API routes keep precedence


async def test_without_a_build_root_points_at_the_api_docs(client):
    response = await client.get("/", follow_redirects=False)
    assert response.status_code in (302, 307)
    assert response.headers["location"] == "/docs"


async def test_widget_config_gives_the_tenants_branding(build, db):
    tenant = await build.tenant("Corner Chemist")
    async with db.transaction() as session:
        await session.execute(
            update(Tenant)
            .where(Tenant.id == tenant.id)
            .values(
                settings={
                    "assistant_name": "Ada",
                    "widget": {
                        "brand_color": "#123abc",
                        "greeting": "Hello!",
                        "logo_url": "/l.svg",
                    },
                }
            )
        )
    response = await build.client.get(f"/api/v1/widget/config/{tenant.slug}")
    assert response.status_code == 200
    assert response.json() == {
        "tenant": tenant.slug,
        "name": "Corner Chemist",
        "assistant_name": "Ada",
        "greeting": "Hello!",
        "brand_color": "#123abc",
        "logo_url": "/l.svg",
        "privacy_url": None,
    }
    assert "max-age" in response.headers["cache-control"]


async def test_widget_config_defaults_and_rejects_bad_colours(build, db):
    tenant = await build.tenant("Plain Pharmacy")
    async with db.transaction() as session:
        await session.execute(
            update(Tenant)
            .where(Tenant.id == tenant.id)
            .values(settings={"widget": {"brand_color": "red; background: url(x)"}})
        )
    body = (await build.client.get(f"/api/v1/widget/config/{tenant.slug}")).json()
    assert body["brand_color"] == "#0f766e"
    assert body["assistant_name"] == "Plain Pharmacy assistant"
    assert "Plain Pharmacy" in body["greeting"]


async def test_widget_config_of_an_unknown_tenant_is_a_problem(client):
    missing = await client.get("/api/v1/widget/config/no-such-tenant")
    assert missing.status_code == 404
    assert missing.json()["code"] == "tenant_not_found"
    bad = await client.get("/api/v1/widget/config/Bad_Slug!")
    assert bad.status_code == 422


async def test_demo_tenant_gets_branding_once_and_keeps_changes(db):
    async with db.transaction() as session:
        demo = (await ensure_demo_tenant(session, "pw-for-tests-1")).tenant
        assert demo.settings["widget"] == DEMO_BRANDING["widget"]
        demo.settings = {**demo.settings, "widget": {"brand_color": "#000000"}}
        await session.flush()
    async with db.transaction() as session:
        again = (await ensure_demo_tenant(session, "pw-for-tests-1")).tenant
        assert again.settings["widget"] == {"brand_color": "#000000"}
        again.settings = dict(DEMO_BRANDING)
