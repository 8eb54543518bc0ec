"""The shared contract files must match the code: regenerate with `make contract`."""

from pathlib import Path

from contactcenter import contract
from contactcenter.main import create_app

SHARED = Path(__file__).resolve().parents[2] / "shared"


def test_shared_contract_files_are_up_to_date(settings):
    expected = contract.documents(create_app(settings))
    for name, text in expected.items():
        path = SHARED / name
        assert path.exists(), f"{path} is missing: run `make contract`"
        assert path.read_text() == text, f"{path} is stale: run `make contract`"


def test_openapi_declares_problem_responses_and_readable_operation_ids(settings):
    schema = create_app(settings).openapi()
    post = schema["paths"]["/api/v1/conversations/{conversation_id}/messages"]["post"]
    assert post["operationId"] == "conversations:post-message"
    assert {"401", "404", "409", "413", "422"} <= set(post["responses"])
    assert post["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
    assert "RealtimeEvent" in schema["components"]["schemas"]
