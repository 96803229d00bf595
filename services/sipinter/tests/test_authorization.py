"""Who may do what in SIPINTER: every resource against every kind of caller, exact status codes.

One table per resource (business, application, each officer step, upload, permit, its PDF,
revocation, the admin sweep) over the callers: the business's owner and co-owner, another
citizen, a DPMPTSP officer of the area, one of another area, the head, the assigned verifier and
another verifier of the area, another agency's officer, an admin and an anonymous caller.

The rules the tables pin down: citizens never learn that another business's data exists (404,
as for an unknown id); a role that never may call an endpoint gets 403 before anything is read
(citizens on officers' steps, officers and admins on applicants' steps, other agencies'
officers everywhere); officers outside the area get 404; officers of the area who are not the
one the step belongs to (the head, the assigned verifier) get 403; no token is 401. Every
caller gets a fresh application in the state the step needs, so that one caller's success does
not decide the next one's answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from ulid import ULID

from cimahi_sipinter.models import Application, Business
from services.sipinter.tests.conftest import CIBABAT, MELONG, Tokens
from services.sipinter.tests.factories import (
    ANI,
    BUDI,
    VERIFIER,
    make_application,
    make_business,
    pin_clock,
)
from services.sipinter.tests.test_uploads import PDF, add_co_owner, attach_now, upload

OFFICER = "01JOFFICER0000000000000000"
OTHER_VERIFIER = "01JOTHERVERIFIER0000000000"

CALLERS = (
    "owner",
    "co_owner",
    "other_citizen",
    "officer",
    "officer_other_area",
    "head",
    "verifier",
    "other_verifier",
    "other_agency",
    "admin",
    "anonymous",
)
CITIZENS = ("owner", "co_owner", "other_citizen")
OFFICERS_OF_THE_AREA = ("officer", "head", "verifier", "other_verifier")


def headers(tokens: Tokens, caller: str) -> dict[str, str]:
    """The request headers of one kind of caller (the business is in Melong)."""
    match caller:
        case "owner":
            return tokens.citizen(ANI)
        case "co_owner":
            return tokens.citizen(BUDI)
        case "other_citizen":
            return tokens.citizen()
        case "officer":
            return tokens.officer(MELONG, sub=OFFICER)
        case "officer_other_area":
            return tokens.officer(CIBABAT)
        case "head":
            return tokens.head()
        case "verifier":
            return tokens.officer(sub=VERIFIER)
        case "other_verifier":
            return tokens.officer("32.77.01", sub=OTHER_VERIFIER)  # Melong's kecamatan
        case "other_agency":
            return tokens.officer(MELONG, agency="lakami")
        case "admin":
            return tokens.admin()
        case _:
            return {}


def expect(default: int, **answers: int) -> dict[str, int]:
    """A row of the table: every caller ``default`` unless named; no token is always 401."""
    return {caller: answers.get(caller, default) for caller in CALLERS} | {"anonymous": 401}


# What the whole-table shapes are.
SEEN_BY_WHO_SEES_THE_BUSINESS = expect(
    200, other_citizen=404, officer_other_area=404, other_agency=403
)
"""Reads: owners, the area's officers (logged) and admins; other citizens and areas 404."""


def officer_step(*allowed: str) -> dict[str, int]:
    """An officer's step: the role refuses citizens, admins and other agencies (403); then the
    area (404); then the actor rule (403 for officers of the area it does not belong to)."""
    answers = {caller: 200 if caller in allowed else 403 for caller in OFFICERS_OF_THE_AREA}
    return expect(403, officer_other_area=404, **answers)


APPLICANT_STEP = expect(200, other_citizen=404) | dict.fromkeys(
    (*OFFICERS_OF_THE_AREA, "officer_other_area", "other_agency", "admin"), 403
)
"""An applicant's step: any owner of the business; other citizens 404; officers and admins 403."""


@dataclass
class World:
    """A business in Melong owned by Ani with Budi as co-owner; the app and its client."""

    app: FastAPI
    client: httpx.AsyncClient
    tokens: Tokens
    business: Business

    async def application(self, status: str, stage: str | None, **values: Any) -> Application:
        """A fresh clinic application of the business, assigned to the verifier."""
        values.setdefault("assigned_officer_sub", VERIFIER)
        values.setdefault("assigned_officer_name", "Verifikator")
        return await make_application(self.app, self.business, status=status, stage=stage, **values)

    async def attached_upload(self) -> str:
        """Ani's upload attached to a submitted application of the business."""
        application = await self.application("submitted", "administrative_check")
        upload_id = await upload(self.client, self.tokens.citizen(ANI))
        await attach_now(self.app, ANI, application, {"ktp": [upload_id]})
        return upload_id

    async def permit(self) -> str:
        """A permit of the business, signed by the head through the API."""
        application = await self.application("awaiting_signature", "signature", levy_status="paid")
        signed = await self.client.post(
            f"/v1/applications/{application.id}/sign", json={}, headers=self.tokens.head()
        )
        assert signed.status_code == 200, signed.text
        permit_id: str = signed.json()["permit"]["id"]
        return permit_id


Request = tuple[str, str, dict[str, Any]]
Prepare = Callable[[World], Awaitable[Request]]


async def _business(world: World) -> Request:
    return "GET", f"/v1/businesses/{world.business.id}", {}


async def _application(world: World) -> Request:
    application = await world.application("submitted", "administrative_check")
    return "GET", f"/v1/applications/{application.id}", {}


async def _withdraw(world: World) -> Request:
    application = await world.application("submitted", "administrative_check")
    return "POST", f"/v1/applications/{application.id}/withdraw", {"json": {"note": "Batal"}}


async def _administrative_check(world: World) -> Request:
    application = await world.application("submitted", "administrative_check")
    body = {"outcome": "accept", "note": "Lengkap"}
    return "POST", f"/v1/applications/{application.id}/administrative-check", {"json": body}


async def _assign(world: World) -> Request:
    application = await world.application("in_verification", "technical_verification")
    body = {"officer_sub": OTHER_VERIFIER, "officer_name": "Verifikator Dua"}
    return "POST", f"/v1/applications/{application.id}/assign", {"json": body}


async def _technical_verification(world: World) -> Request:
    application = await world.application("in_verification", "technical_verification")
    body = {"outcome": "verified", "findings": "Sesuai standar", "note": "Baik"}
    return "POST", f"/v1/applications/{application.id}/technical-verification", {"json": body}


async def _schedule_survey(world: World) -> Request:
    application = await world.application("site_survey", "site_survey")
    body = {"scheduled_for": "2026-03-03"}
    return "PUT", f"/v1/applications/{application.id}/site-survey", {"json": body}


async def _report_survey(world: World) -> Request:
    application = await world.application(
        "site_survey", "site_survey", survey_scheduled_for=date(2026, 3, 2)
    )
    body = {"outcome": "passed", "findings": "Sesuai denah", "note": "Lulus"}
    return "POST", f"/v1/applications/{application.id}/site-survey/report", {"json": body}


async def _recommendation(world: World) -> Request:
    application = await world.application(
        "awaiting_recommendation", "recommendation", survey_passed=True
    )
    body = {"outcome": "approve", "note": "Layak", "conditions": ["Papan nama terpasang"]}
    return "POST", f"/v1/applications/{application.id}/recommendation", {"json": body}


async def _sign(world: World) -> Request:
    application = await world.application("awaiting_signature", "signature", levy_status="paid")
    return "POST", f"/v1/applications/{application.id}/sign", {"json": {}}


async def _head_reject(world: World) -> Request:
    application = await world.application("in_verification", "technical_verification")
    body = {"note": "Lokasi tidak sesuai tata ruang"}
    return "POST", f"/v1/applications/{application.id}/reject", {"json": body}


async def _create_upload(world: World) -> Request:
    return "POST", "/v1/uploads", {"files": {"file": ("ktp.pdf", PDF, "application/pdf")}}


async def _read_upload(world: World) -> Request:
    return "GET", f"/v1/uploads/{await world.attached_upload()}", {}


async def _upload_content(world: World) -> Request:
    return "GET", f"/v1/uploads/{await world.attached_upload()}/content", {}


async def _delete_attached_upload(world: World) -> Request:
    return "DELETE", f"/v1/uploads/{await world.attached_upload()}", {}


async def _read_permit(world: World) -> Request:
    return "GET", f"/v1/permits/{await world.permit()}", {}


async def _permit_pdf(world: World) -> Request:
    return "GET", f"/v1/permits/{await world.permit()}/pdf", {}


async def _revoke(world: World) -> Request:
    body = {"reason": "Izin dipindahtangankan tanpa pemberitahuan"}
    return "POST", f"/v1/permits/{await world.permit()}/revoke", {"json": body}


async def _sweep(world: World) -> Request:
    return "POST", "/v1/admin/sweeps", {}


MATRIX: dict[str, tuple[Prepare, dict[str, int]]] = {
    "business read": (_business, SEEN_BY_WHO_SEES_THE_BUSINESS),
    "application read": (_application, SEEN_BY_WHO_SEES_THE_BUSINESS),
    "withdraw (applicant)": (_withdraw, APPLICANT_STEP),
    "administrative check": (_administrative_check, officer_step(*OFFICERS_OF_THE_AREA)),
    "assign": (_assign, officer_step("head")),
    "technical verification": (_technical_verification, officer_step("verifier")),
    "site survey schedule": (_schedule_survey, officer_step("verifier")),
    "site survey report": (_report_survey, officer_step("verifier")),
    "recommendation": (_recommendation, officer_step("verifier")),
    "sign": (_sign, officer_step("head")),
    "head's reject": (_head_reject, officer_step("head")),
    "upload create": (
        _create_upload,
        expect(403, owner=201, co_owner=201, other_citizen=201),
    ),
    "upload read": (_read_upload, SEEN_BY_WHO_SEES_THE_BUSINESS),
    "upload content": (_upload_content, SEEN_BY_WHO_SEES_THE_BUSINESS),
    "upload delete (attached)": (
        _delete_attached_upload,
        expect(403, owner=409, co_owner=404, other_citizen=404),
    ),
    "permit read": (_read_permit, SEEN_BY_WHO_SEES_THE_BUSINESS),
    "permit pdf": (_permit_pdf, SEEN_BY_WHO_SEES_THE_BUSINESS),
    "permit revoke": (_revoke, officer_step("head")),
    "admin sweep": (_sweep, expect(403, admin=200)),
}


@pytest.fixture
async def world(app: FastAPI, client: httpx.AsyncClient, tokens: Tokens) -> World:
    pin_clock(app)
    business = await make_business(app)
    await add_co_owner(client, tokens, business.id)
    return World(app, client, tokens, business)


@pytest.mark.parametrize("resource", list(MATRIX))
async def test_who_may_do_what(world: World, resource: str) -> None:
    prepare, expected = MATRIX[resource]
    answered: dict[str, int] = {}
    for caller in CALLERS:
        method, path, kwargs = await prepare(world)
        response = await world.client.request(
            method, path, headers=headers(world.tokens, caller), **kwargs
        )
        answered[caller] = response.status_code
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/problem+json")
    assert answered == expected


class TestConflicts:
    """409s: the right caller, the wrong moment."""

    async def test_a_step_out_of_its_status_is_409_for_whom_it_belongs_to(
        self, world: World
    ) -> None:
        application = await world.application("submitted", "administrative_check")
        path = f"/v1/applications/{application.id}"
        steps = [
            ("verifier", "POST", "technical-verification", {"outcome": "verified", "note": "x"}),
            ("head", "POST", "assign", {"officer_sub": VERIFIER, "officer_name": "V"}),
            ("head", "POST", "sign", {}),
            ("verifier", "POST", "recommendation", {"outcome": "approve", "note": "x"}),
            ("verifier", "PUT", "site-survey", {"scheduled_for": "2026-03-03"}),
        ]
        for caller, method, step, body in steps:
            response = await world.client.request(
                method, f"{path}/{step}", json=body, headers=headers(world.tokens, caller)
            )
            assert response.status_code == 409, (step, response.text)
        # Out of its status, the wrong officer still learns nothing more than the 409 either.
        response = await world.client.post(
            f"{path}/sign", json={}, headers=headers(world.tokens, "officer")
        )
        assert response.status_code == 409

    async def test_revoking_twice_is_409(self, world: World) -> None:
        permit_id = await world.permit()
        body = {"reason": "Izin dipindahtangankan tanpa pemberitahuan"}
        path = f"/v1/permits/{permit_id}/revoke"
        first = await world.client.post(path, json=body, headers=world.tokens.head())
        again = await world.client.post(path, json=body, headers=world.tokens.head())
        assert (first.status_code, again.status_code) == (200, 409)

    async def test_unknown_ids_are_404_for_everyone_who_may_call(self, world: World) -> None:
        unknown = str(ULID())
        for caller in ("owner", "officer", "head", "admin"):
            for path in (
                f"/v1/applications/{unknown}",
                f"/v1/uploads/{unknown}",
                f"/v1/permits/{unknown}",
                f"/v1/businesses/{unknown}",
            ):
                response = await world.client.get(path, headers=headers(world.tokens, caller))
                assert response.status_code == 404, (caller, path)
