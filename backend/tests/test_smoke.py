async def test_health_answers(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_ready_reports_migrated_database_and_listener(client):
    response = await client.get("/ready")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["database"]["status"] == "ok"
    assert checks["database"]["revision"] == checks["database"]["expected"]
    assert checks["realtime"]["status"] == "ok"


async def test_customer_message_reaches_agent_of_same_tenant_only(build):
    tenant = await build.tenant()
    other = await build.tenant()
    customer = await build.customer(tenant)
    agent = await build.staff(tenant)
    stranger = await build.staff(other)
    conversation = await build.conversation(customer)
    await build.message(customer, conversation["id"], "Do you deliver on Saturdays?")

    mine = await build.client.get(
        f"/api/v1/conversations/{conversation['id']}/messages", headers=agent.headers
    )
    assert [m["text"] for m in mine.json()["items"]] == ["Do you deliver on Saturdays?"]
    theirs = await build.client.get(
        f"/api/v1/conversations/{conversation['id']}/messages", headers=stranger.headers
    )
    assert theirs.status_code == 404


def test_in_process_app_uses_the_test_database_and_secret(settings, pg_url):
    assert settings.db.url is not None
    assert settings.db.url.get_secret_value() == pg_url
    assert settings.resolve_jwt_secret() is not None
    assert not settings.seed_demo
