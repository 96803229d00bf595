"""OWASP API5 (broken function-level authorization): staff-only operations refuse citizens.

``RESTRICTED`` is written by hand: every officer-only, admin-only and machine-only operation of
every service and of the gateway. The table is checked against the apps themselves: an operation
whose dependencies include a role gate (a dependency that takes the verified principal, such as
``AgencyRoles.officer`` or ``require_roles("admin")``) and that is missing here fails the test,
and so does an entry that is not in the app's OpenAPI document. Then each entry is called with a
citizen token (403) and with no token (401), both problem+json.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from cimahi_shared.auth import current_principal
from tests.security.inprocess import APPS, running

# Role gates that let citizens through (object-level rules then apply in the handlers).
CITIZEN_GATES = {"citizen", "reader"}

# (method, path) -> the gate that refuses citizens ("inline": a check inside the handler).
RESTRICTED: dict[str, dict[tuple[str, str], str]] = {
    "lakami": {
        **{
            ("POST", f"/v1/letter-requests/{{tracking_no}}/{step}"): "officer"
            for step in ("verify", "process", "approve", "reject", "return")
        },
        **{
            ("POST", f"/v1/complaints/{{tracking_no}}/{step}"): "officer"
            for step in ("verify", "forward", "answer", "not-authority", "close", "archive")
        },
        ("GET", "/v1/admin/open311-keys"): "dependency",
        ("POST", "/v1/admin/open311-keys"): "dependency",
        ("DELETE", "/v1/admin/open311-keys/{key_id}"): "dependency",
        ("POST", "/v1/letter-requests/{tracking_no}/revoke"): "inline",
    },
    "dilandacinta": {
        ("POST", "/v1/persons/search"): "officer",
        ("GET", "/v1/persons/{person_id}"): "officer",
        ("GET", "/v1/families/{family_id}"): "officer",
        ("POST", "/v1/applications/{tracking_no}/verify"): "officer",
        ("POST", "/v1/applications/{tracking_no}/process"): "officer",
        ("POST", "/v1/applications/{tracking_no}/decide"): "inline",
        ("POST", "/v1/applications/{tracking_no}/sign"): "inline",
        ("POST", "/internal/v1/identity/match"): "inline",
    },
    "epbb": {
        ("POST", "/v1/admin/tax-years/{year}/rules"): "admin",
        ("POST", "/v1/admin/bill-runs"): "admin",
        ("POST", "/v1/admin/channels"): "admin",
        ("GET", "/v1/admin/channels"): "admin",
        ("POST", "/v1/admin/channels/{code}/secret"): "admin",
        ("POST", "/v1/admin/channels/{code}/deactivate"): "admin",
        ("POST", "/v1/admin/channels/{code}/activate"): "admin",
        ("GET", "/v1/channel/bills/{nop}"): "channel_client",
        ("POST", "/v1/channel/payment-codes"): "channel_client",
        ("GET", "/v1/channel/payment-codes/{code}"): "channel_client",
        ("POST", "/v1/channel/payments"): "channel_client",
        ("POST", "/v1/admin/reconciliations"): "inline",
        ("GET", "/v1/admin/reconciliations/{reconciliation_id}"): "inline",
        ("GET", "/v1/admin/reconciliations/{reconciliation_id}/differences.csv"): "inline",
        ("GET", "/v1/objects"): "staff",
        ("GET", "/v1/bills"): "staff",
        **{
            ("POST", f"/v1/requests/{{request_id}}/{step}"): "officer"
            for step in ("verify", "return", "reject", "approve")
        },
    },
    "sipinter": {
        **{
            ("POST", f"/v1/applications/{{application_id}}/{step}"): "officer"
            for step in (
                "administrative-check",
                "assign",
                "technical-verification",
                "site-survey/report",
                "recommendation",
                "sign",
                "reject",
            )
        },
        ("PUT", "/v1/applications/{application_id}/site-survey"): "officer",
        ("POST", "/v1/permits/{permit_id}/revoke"): "officer",
        ("POST", "/v1/admin/sweeps"): "dependency",
    },
    "gateway": {
        ("POST", "/api/v1/admin/officers"): "require_admin",
        ("POST", "/api/v1/admin/integrators"): "require_admin",
        ("GET", "/api/v1/admin/integrators"): "require_admin",
        ("GET", "/api/v1/admin/integrators/{integrator_id}"): "require_admin",
        ("PATCH", "/api/v1/admin/integrators/{integrator_id}"): "require_admin",
        ("POST", "/api/v1/admin/integrators/{integrator_id}/rotate-secret"): "require_admin",
        ("POST", "/api/v1/admin/integrators/{integrator_id}/revoke"): "require_admin",
        # An integrator's machine client only (citizens, officers and admins are refused).
        ("POST", "/api/v1/webhooks"): "current_integrator",
        ("GET", "/api/v1/webhooks"): "current_integrator",
        ("GET", "/api/v1/webhooks/{endpoint_id}"): "current_integrator",
        ("PATCH", "/api/v1/webhooks/{endpoint_id}"): "current_integrator",
        ("DELETE", "/api/v1/webhooks/{endpoint_id}"): "current_integrator",
        ("POST", "/api/v1/webhooks/{endpoint_id}/rotate-secret"): "current_integrator",
        ("POST", "/api/v1/webhooks/{endpoint_id}/enable"): "current_integrator",
        ("POST", "/api/v1/webhooks/{endpoint_id}/ping"): "current_integrator",
        ("GET", "/api/v1/webhooks/{endpoint_id}/deliveries"): "current_integrator",
        (
            "POST",
            "/api/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver",
        ): "current_integrator",
        ("GET", "/api/v1/events/stream"): "current_integrator",
    },
}

# Query strings inline-checked operations need to get past parameter validation to the check.
QUERY = {("POST", "/v1/admin/reconciliations"): "?channel=bjb&day=2026-06-01"}
# Bodies inline-checked operations need to get past body validation to the check.
BODY = {("POST", "/v1/letter-requests/{tracking_no}/revoke"): {"reason": "Dokumen ternyata palsu"}}
SAMPLE_ID = "01JAAAAAAAAAAAAAAAAAAAAAAA"
_PARAM = re.compile(r"\{([^}]+)\}")


def _operations(api: FastAPI) -> Iterator[tuple[str, str, APIRoute]]:
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before included-router contexts: app.routes are flat
        for route in api.routes:
            if isinstance(route, APIRoute):
                for method in route.methods or ():
                    yield method, route.path, route
        return
    for context in iter_route_contexts(api.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            for method in context.methods or ():
                yield method, str(context.path), route


def _gates(dependant: Any) -> Iterator[str]:
    """Names of the role gates in a dependency tree: dependencies taking the principal."""
    for sub in dependant.dependencies:
        if any(d.call is current_principal for d in sub.dependencies):
            yield getattr(sub.call, "__name__", repr(sub.call))
        yield from _gates(sub)


def _url(path: str, method: str) -> str:
    def fill(match: re.Match[str]) -> str:
        return "2026" if match.group(1) == "year" else SAMPLE_ID

    return _PARAM.sub(fill, path) + QUERY.get((method, path), "")


@pytest.mark.parametrize("name", APPS)
async def test_staff_operations_refuse_citizens_and_anonymous_callers(
    name: str, tmp_path: Path
) -> None:
    async with running(name, tmp_path) as app:
        table = RESTRICTED[name]
        documented = {
            (method.upper(), path)
            for path, item in app.api.openapi()["paths"].items()
            for method in item
            if method in ("get", "post", "put", "patch", "delete")
        }
        assert not set(table) - documented, "entries missing from the OpenAPI document"
        for method, path, route in _operations(app.api):
            gates = set(_gates(route.dependant)) - CITIZEN_GATES
            if gates and (method, path) not in table:
                pytest.fail(f"{name}: {method} {path} is gated by {gates} but not in RESTRICTED")
            if (method, path) in table and table[method, path] != "inline":
                assert table[method, path] in gates, (name, method, path, gates)
        failures = []
        for method, path in sorted(table):
            url = _url(path, method)
            for label, headers, status in (
                ("citizen", app.tokens.citizen(), 403),
                ("anonymous", {}, 401),
            ):
                response = await app.client.request(
                    method, url, headers=headers, json=BODY.get((method, path))
                )
                if response.status_code != status or not response.headers.get(
                    "content-type", ""
                ).startswith("application/problem+json"):
                    failures.append(f"{label} {method} {url}: {response.status_code}")
        assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("agency", "method", "path"),
    [
        ("lakami", "POST", "/v1/letter-requests/{tracking_no}/approve"),
        ("dilandacinta", "POST", "/v1/persons/search"),
        ("epbb", "POST", "/v1/admin/bill-runs"),
        ("sipinter", "POST", "/v1/applications/{application_id}/sign"),
    ],
)
async def test_the_gateway_door_refuses_anonymous_staff_calls(
    agency: str, method: str, path: str, tmp_path: Path
) -> None:
    """Through the gateway the door answers 401 before the agency is ever asked."""
    async with running("gateway", tmp_path) as gateway:
        response = await gateway.client.request(method, f"/api/{agency}{_url(path, method)}")
        assert response.status_code == 401, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
