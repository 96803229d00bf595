"""The public catalogue of letter types (service standards)."""

from __future__ import annotations

import httpx

from services.lakami.tests.conftest import problem


class TestCatalogue:
    async def test_lists_the_letter_types_with_their_service_standard_without_a_token(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/v1/public/letter-types")
        assert response.status_code == 200
        types = {t["code"]: t for t in response.json()}
        assert {"domisili", "sktm", "usaha", "skck"} <= types.keys()
        assert types["sktm"]["short_name"] == "SKTM"
        assert types["usaha"]["needs_kecamatan"] is True
        for standard in types.values():
            assert standard["fee_idr"] == 0
            assert standard["time_limit_working_days"] >= 1
            assert standard["requirements"]
            assert standard["procedure"]
            assert standard["product"]
            assert "LAPOR" in standard["complaints_channel"]

    async def test_shows_one_letter_type_with_its_fields(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/v1/public/letter-types/usaha")
        assert response.status_code == 200
        fields = {f["code"]: f for f in response.json()["fields"]}
        assert fields["business_name"]["required"] is True
        assert fields["business_since"]["type"] == "date"

    async def test_unknown_letter_type_is_a_404_problem(self, client: httpx.AsyncClient) -> None:
        problem(await client.get("/v1/public/letter-types/surat-sakti"), 404)
