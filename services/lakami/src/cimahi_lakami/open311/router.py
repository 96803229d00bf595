"""Open311 GeoReport v2 (JSON only) under ``/open311/v2/``.

``GET`` endpoints need no token or key (they serve public complaints without personal data);
``POST requests.json`` needs an ``api_key`` (stored hashed, issued by an admin or the seed). The
body may be ``application/x-www-form-urlencoded`` (the spec) or a JSON object with the same
names; attributes are ``attribute[code]`` (form) or ``{"attribute": {"code": ...}}`` (JSON).
Every required attribute - the kelurahan above all - must be given. A request is public unless
``attribute[visibility]=private``; it is owned by the API client and its author is anonymous
(``first_name``, ``last_name``, ``email`` and ``phone`` are kept as the author's contact, seen
only by the identity role). Errors are Open311's ``[{"code": <http status>, "description"}]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.responses import Response

from cimahi_lakami.complaints import service as complaints
from cimahi_lakami.complaints.categories import CATEGORIES, find_category
from cimahi_lakami.complaints.deadlines import DeadlinesDep
from cimahi_lakami.complaints.repository import get_complaint, list_public
from cimahi_lakami.complaints.schemas import CIMAHI_LAT, CIMAHI_LON, MAX_DESCRIPTION
from cimahi_lakami.complaints.workflow import ANSWERED, OPEN
from cimahi_lakami.open311.schemas import (
    Open311Error,
    RequestCreated,
    Service,
    ServiceDefinition,
    ServiceRequest,
    service_notice,
)
from cimahi_shared.app import SessionDep
from cimahi_shared.regions import find_kelurahan

router = APIRouter(prefix="/open311/v2", tags=["open311"])

MAX_RESULTS = 1000
MAX_SPAN = timedelta(days=90)
_ATTRIBUTE = re.compile(r"^attribute\[([A-Za-z0-9_\-]{1,40})\]$")


class Open311ErrorItem(BaseModel):
    """One error of Open311's error format (the body is a list of them)."""

    code: int
    description: str


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The Open311 errors a route answers with (documented, so the OpenAPI tells the truth)."""
    return {status: {"model": list[Open311ErrorItem]} for status in statuses}


def install_open311_errors(app: FastAPI) -> None:
    """Answer ``Open311Error`` in Open311's error format (only this router raises it)."""

    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Open311Error)
        return JSONResponse(
            [{"code": exc.status, "description": exc.description}], status_code=exc.status
        )

    app.add_exception_handler(Open311Error, handler)


@router.get("/services.json", response_model=list[Service])
async def list_services() -> list[Service]:
    """Every complaint category as an Open311 service."""
    return [Service.of(category) for category in CATEGORIES]


@router.get(
    "/services/{service_code}.json", response_model=ServiceDefinition, responses=_errors(404)
)
async def service_definition(service_code: str) -> ServiceDefinition:
    """The attributes a client answers for a service."""
    category = find_category(service_code)
    if category is None:
        raise Open311Error(404, f"service_code {service_code!r} not found")
    return ServiceDefinition.of(category)


@router.post(
    "/requests.json", response_model=list[RequestCreated], responses=_errors(400, 403, 404)
)
async def create_request(
    request: Request, session: SessionDep, deadlines: DeadlinesDep
) -> list[RequestCreated]:
    """File a complaint as an Open311 service request (``api_key`` required)."""
    fields, attributes = await _read_body(request)
    raw_key = fields.get("api_key", "").strip()
    if not raw_key:
        raise Open311Error(403, "api_key is required")
    key = await complaints.find_api_key(session, raw_key)
    if key is None:
        raise Open311Error(403, "api_key is not valid")
    category = find_category(fields.get("service_code", ""))
    if category is None:
        if not fields.get("service_code"):
            raise Open311Error(400, "service_code is required")
        raise Open311Error(404, f"service_code {fields['service_code']!r} not found")
    for attribute in category.attributes:
        value = attributes.get(attribute.code)
        if attribute.required and not value:
            raise Open311Error(400, f"attribute[{attribute.code}] is required")
        if value and attribute.values and value not in {k for k, _ in attribute.values}:
            raise Open311Error(400, f"attribute[{attribute.code}] has no value {value!r}")
    unknown = set(attributes) - {a.code for a in category.attributes}
    if unknown:
        raise Open311Error(400, f"unknown attribute[{sorted(unknown)[0]}]")
    kelurahan = find_kelurahan(attributes.get("kelurahan", ""))
    if kelurahan is None:  # pragma: no cover - every category requires the kelurahan
        raise Open311Error(400, "attribute[kelurahan] is required")
    lat, lon = _location(fields)
    address = fields.get("address_string", "").strip() or None
    if lat is None and address is None:
        raise Open311Error(400, "lat and long, or address_string, are required")
    if address is not None and len(address) > 300:
        raise Open311Error(400, "address_string is longer than 300 characters")
    description = fields.get("description", "").strip()
    if len(description) < 10 or len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description must have 10 to {MAX_DESCRIPTION} characters")
    media_url = fields.get("media_url", "").strip() or None
    if media_url is not None and (
        not media_url.startswith(("https://", "http://")) or len(media_url) > 500
    ):
        raise Open311Error(400, "media_url must be an http(s) URL of at most 500 characters")
    name = " ".join(p for p in (fields.get("first_name"), fields.get("last_name")) if p)
    contact = ", ".join(p for p in (fields.get("email"), fields.get("phone")) if p)
    visibility = attributes.get("visibility")
    complaint = await complaints.file_open311(
        session,
        key=key,
        category=category,
        kelurahan_code=kelurahan.code,
        description=description,
        lat=lat,
        lon=lon,
        address=address,
        media_url=media_url,
        attributes=attributes,
        public=deadlines.open311_default_public if visibility is None else visibility == "public",
        author_name=name[:100] or None,
        author_contact=contact[:200] or None,
        deadlines=deadlines,
    )
    return [
        RequestCreated(
            service_request_id=complaint.tracking_no, service_notice=service_notice(complaint)
        )
    ]


@router.get("/requests.json", response_model=list[ServiceRequest], responses=_errors(400, 404))
async def list_requests(
    request: Request, session: SessionDep, deadlines: DeadlinesDep
) -> list[ServiceRequest]:
    """Public service requests: by ids, or filed in [start_date, end_date] (90 days at most)."""
    query = request.query_params
    ids = [i.strip() for i in query.get("service_request_id", "").split(",") if i.strip()]
    service_code = query.get("service_code") or None
    if service_code is not None and find_category(service_code) is None:
        raise Open311Error(404, f"service_code {service_code!r} not found")
    given_start = _w3c(query.get("start_date"), "start_date")
    # Without end_date: up to now (a start_date in the future simply finds nothing yet).
    end = _w3c(query.get("end_date"), "end_date") or max(
        deadlines.now, given_start or deadlines.now
    )
    start = given_start or end - MAX_SPAN
    if start > end:
        raise Open311Error(400, "start_date is after end_date")
    if end - start > MAX_SPAN:
        raise Open311Error(400, "start_date and end_date are more than 90 days apart")
    status = query.get("status") or None
    statuses: list[str] | None = None
    if status == "open":
        statuses = [s.value for s in OPEN]
    elif status == "closed":
        statuses = [s.value for s in ANSWERED]
    elif status is not None:
        raise Open311Error(400, "status must be open or closed")
    rows = await list_public(
        session,
        tracking_nos=ids or None,
        category=service_code,
        start=start if not ids else datetime.min.replace(tzinfo=UTC),
        end=end + timedelta(microseconds=1) if not ids else datetime.max.replace(tzinfo=UTC),
        statuses=statuses,
        limit=MAX_RESULTS,
    )
    return [ServiceRequest.of(row) for row in rows]


@router.get(
    "/requests/{service_request_id}.json",
    response_model=list[ServiceRequest],
    responses=_errors(404),
)
async def get_request(service_request_id: str, session: SessionDep) -> list[ServiceRequest]:
    """One public service request, as a one-element list."""
    complaint = await get_complaint(session, service_request_id)
    if complaint is None or not complaint.public or complaint.status == "archived":
        raise Open311Error(404, f"service_request_id {service_request_id!r} not found")
    return [ServiceRequest.of(complaint)]


async def _read_body(request: Request) -> tuple[dict[str, str], dict[str, str]]:
    """(fields, attributes) of a form-encoded or JSON body."""
    body = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fields: dict[str, str] = {}
    attributes: dict[str, str] = {}
    if content_type == "application/json":
        try:
            data: Any = orjson.loads(body or b"{}")
        except orjson.JSONDecodeError as exc:
            raise Open311Error(400, "the body is not valid JSON") from exc
        if not isinstance(data, Mapping):
            raise Open311Error(400, "the body must be a JSON object")
        for name, value in data.items():
            if name == "attribute" and isinstance(value, Mapping):
                attributes.update({str(k): _text(v) for k, v in value.items()})
            elif (match := _ATTRIBUTE.match(str(name))) is not None:
                attributes[match.group(1)] = _text(value)
            else:
                fields[str(name)] = _text(value)
    elif content_type in ("application/x-www-form-urlencoded", ""):
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError as exc:
            raise Open311Error(400, "the body is not UTF-8") from exc
        for name, value in pairs:
            if (match := _ATTRIBUTE.match(name)) is not None:
                attributes[match.group(1)] = value
            elif name.startswith("attribute["):
                raise Open311Error(400, f"{name} is not a valid attribute code")
            else:
                fields[name] = value
    else:
        raise Open311Error(400, "send application/x-www-form-urlencoded or application/json")
    return fields, {k: v.strip() for k, v in attributes.items() if v.strip()}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise Open311Error(400, "every field must be a string or a number")


def _location(fields: Mapping[str, str]) -> tuple[float | None, float | None]:
    raw_lat, raw_lon = fields.get("lat", "").strip(), fields.get("long", "").strip()
    if not raw_lat and not raw_lon:
        return None, None
    try:
        lat, lon = float(raw_lat), float(raw_lon)
    except ValueError as exc:
        raise Open311Error(400, "lat and long must both be decimal degrees") from exc
    if not (CIMAHI_LAT[0] <= lat <= CIMAHI_LAT[1] and CIMAHI_LON[0] <= lon <= CIMAHI_LON[1]):
        raise Open311Error(400, "lat/long is outside Kota Cimahi")
    return lat, lon


def _w3c(value: str | None, name: str) -> datetime | None:
    """A W3C datetime (ISO 8601 with a time zone) or 400."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(400, f"{name} is not a W3C datetime") from exc
    if moment.tzinfo is None:
        raise Open311Error(400, f"{name} needs a time zone (e.g. 2026-11-28T10:00:00+07:00)")
    return moment.astimezone(UTC)
