"""List offsets are capped (found by schemathesis, issue 9).

An offset beyond the database's integer reached SQLite (OverflowError) or PostgreSQL and was a
500; like E-PBB's and DILANDACINTA's lists, an offset is now 0..100000 and anything else 422.
"""

from __future__ import annotations

import httpx
import pytest

from services.sipinter.tests.conftest import Tokens, error_fields

HUGE = "71289780800190059170844706340864"


@pytest.mark.parametrize("path", ["/v1/businesses", "/v1/applications", "/v1/permits"])
@pytest.mark.parametrize("offset", [HUGE, "100001", "-1"])
async def test_offset_out_of_range_is_422(
    client: httpx.AsyncClient, tokens: Tokens, path: str, offset: str
) -> None:
    for headers in (tokens.citizen(), tokens.officer()):
        response = await client.get(path, params={"offset": offset}, headers=headers)
        assert error_fields(response) == {"offset"}


@pytest.mark.parametrize("path", ["/v1/businesses", "/v1/applications", "/v1/permits"])
async def test_largest_offset_is_an_empty_page(
    client: httpx.AsyncClient, tokens: Tokens, path: str
) -> None:
    response = await client.get(path, params={"offset": "100000"}, headers=tokens.officer())
    assert response.status_code == 200
    assert response.json()["items"] == []
