"""Schemathesis against the app's own OpenAPI schema, on a real uvicorn server.

The schema is the one `create_app` publishes (checked equal to /schema/openapi.json), loaded
at import so every operation is its own test; requests go to a server started like the one in
test_api (admin token set, no rate limit), with all of schemathesis's default checks.

The first run found five places where the app answered outside its own schema (problem
details documented as Litestar's default 400 shape, undocumented 404/409/401/403, a blank
question the schema allowed); each now has a test below that pins the documented behaviour.
"""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from askshow.api import create_app
from askshow.settings import Settings
from tests.conftest import TOKEN, Server

pytestmark = pytest.mark.slow

OPENAPI = create_app(Settings()).openapi_schema.to_schema()
SCHEMA = schemathesis.openapi.from_dict(OPENAPI)
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@SCHEMA.parametrize()
@settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: Any, server: Server) -> None:
    case.call_and_validate(base_url=server.url, headers=ADMIN)


def test_served_schema_is_the_one_fuzzed(server: Server) -> None:
    assert httpx.get(f"{server.url}/schema/openapi.json").json() == OPENAPI


def test_answer_with_citations_matches_the_schema(server: Server) -> None:
    case = SCHEMA["/api/ask"]["POST"].Case(
        body={"question": "who plays nam-ra in all of us are dead", "max_citations": 3},
        media_type="application/json",
    )
    response = case.call_and_validate(base_url=server.url)
    assert response.status_code == 200 and response.json()["citations"]


def test_real_article_matches_the_schema(server: Server) -> None:
    case = SCHEMA["/api/articles/{article_id}"]["GET"].Case(
        path_parameters={"article_id": "all-of-us-are-dead-season-2"}
    )
    response = case.call_and_validate(base_url=server.url)
    assert response.status_code == 200 and response.json()["sections"]


@pytest.mark.parametrize("body", [{"question": 42}, None], ids=["wrong-type", "no-body"])
def test_ask_400_is_as_documented(server: Server, body: dict[str, Any] | None) -> None:
    operation = SCHEMA["/api/ask"]["POST"]
    case = (
        operation.Case()
        if body is None
        else operation.Case(body=body, media_type="application/json")
    )
    response = case.call_and_validate(base_url=server.url)
    assert response.status_code == 400


def test_unknown_article_404_is_documented(server: Server) -> None:
    case = SCHEMA["/api/articles/{article_id}"]["GET"].Case(
        path_parameters={"article_id": "no-such-article"}
    )
    assert case.call_and_validate(base_url=server.url).status_code == 404


def test_reindex_conflict_409_is_documented(server: Server) -> None:
    case = SCHEMA["/api/admin/reindex"]["POST"].Case()
    statuses = [
        case.call_and_validate(base_url=server.url, headers=ADMIN).status_code for _ in range(2)
    ]
    assert 409 in statuses, "the second reindex should find the first one running"


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer wrong"}, 403)],
    ids=["no-token", "wrong-token"],
)
def test_admin_refusals_are_documented(
    server: Server, headers: dict[str, str], status: int
) -> None:
    """No token asks the client to authenticate (401); a wrong one is refused (403)."""
    case = SCHEMA["/api/admin/index"]["GET"].Case()
    response = case.call_and_validate(base_url=server.url, headers=headers)
    assert response.status_code == status


def test_blank_question_is_ruled_out_by_the_schema_and_the_api(server: Server) -> None:
    body = {"question": "   "}
    request_schema = dict(OPENAPI["components"]["schemas"]["AskRequest"])
    assert not jsonschema_rs.validator_for(request_schema).is_valid(body)
    response = httpx.post(f"{server.url}/api/ask", json=body, timeout=30)
    assert response.status_code == 400
    assert response.json()["detail"] == "question: must not be blank"


def test_every_success_response_is_a_typed_body() -> None:
    """No route answers an untyped object: each 2xx body is a Struct with named properties
    (or a list of them), so clients can rely on the schema for every route."""
    schemas = OPENAPI["components"]["schemas"]

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        if schema.get("type") == "array":
            return resolve(schema["items"])
        return schemas[schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema

    checked, untyped = [], []
    for path, operations in OPENAPI["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if not code.startswith("2"):
                    continue
                for content in response.get("content", {}).values():
                    checked.append(f"{method.upper()} {path}")
                    if not resolve(content["schema"]).get("properties"):
                        untyped.append(f"{method.upper()} {path} {code}")
    assert untyped == []
    assert {"GET /health", "GET /ready", "POST /api/admin/reindex"} <= set(checked)
    assert len(checked) == 7, checked
