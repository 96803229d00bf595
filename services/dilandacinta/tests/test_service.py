"""The service starts on a migrated database and answers its health checks."""

from __future__ import annotations

import httpx


async def test_ready_on_a_migrated_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
