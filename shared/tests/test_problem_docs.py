"""document_problems: 422 documented as problem+json, 401/403 on the routes behind a token."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from cimahi_shared.auth import CurrentPrincipal, require_roles
from cimahi_shared.errors import PROBLEM_JSON
from cimahi_shared.problem_docs import document_problems


def build() -> FastAPI:
    router = APIRouter()

    @router.get("/public/{item}")
    async def public(item: int) -> dict[str, int]:
        return {"item": item}

    @router.get("/mine")
    async def mine(principal: CurrentPrincipal) -> dict[str, str]:
        return {"sub": principal.sub}

    @router.post("/admin", dependencies=[require_roles("admin")])
    async def admin() -> None:
        return None

    @router.get("/own", responses={403: {"description": "Mine", "content": {PROBLEM_JSON: {}}}})
    async def own(principal: CurrentPrincipal) -> None:
        return None

    app = FastAPI()
    app.include_router(router, prefix="/v1")
    return document_problems(app)


def test_validation_errors_are_problem_json() -> None:
    responses = build().openapi()["paths"]["/v1/public/{item}"]["get"]["responses"]
    assert responses["422"]["content"] == {PROBLEM_JSON: {}}
    assert "401" not in responses  # no token needed
    assert "403" not in responses


def test_token_routes_document_401_and_403() -> None:
    paths = build().openapi()["paths"]
    for path, method in [("/v1/mine", "get"), ("/v1/admin", "post")]:
        responses = paths[path][method]["responses"]
        assert responses["401"]["content"] == {PROBLEM_JSON: {}}
        assert responses["403"]["content"] == {PROBLEM_JSON: {}}
    # A route's own description wins.
    assert paths["/v1/own"]["get"]["responses"]["403"]["description"] == "Mine"


def test_document_is_built_once() -> None:
    app = build()
    assert app.openapi() is app.openapi()
