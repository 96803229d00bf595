"""HTTP surface of bill inquiry: an object's bills, one bill explained, officers' list, public look-up."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from cimahi_epbb.access_log import DEFAULT_PURPOSE, PurposeHeader
from cimahi_epbb.auth import Reader
from cimahi_epbb.bills import service
from cimahi_epbb.bills.schemas import (
    BillDetail,
    BillListItem,
    BillPage,
    ObjectBills,
    PublicBill,
    PublicInquiry,
)
from cimahi_epbb.bills.service import BillQuery, amounts, bill_amounts
from cimahi_epbb.clock import ClockDep
from cimahi_epbb.config import EpbbSettings
from cimahi_epbb.objects.router import NopPath, Staff, epbb_settings, no_store
from cimahi_shared.app import Runtime, RuntimeDep, SessionDep
from cimahi_shared.documents.masking import mask_name
from cimahi_shared.identifiers import format_nop
from cimahi_shared.ratelimit import (
    SlidingWindowCounter,
    client_address,
    process_counter,
    refuse_if_limited,
)
from cimahi_shared.regions import find_kelurahan

router = APIRouter(tags=["bills"], dependencies=[Depends(no_store)])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
# The public inquiries' counter per process (EPBB_PUBLIC_INQUIRY_PER_MINUTE per client address).
PUBLIC_LIMIT_EXTRA = "epbb.public_inquiry_limit"
TOO_MANY = "Terlalu banyak permintaan; coba lagi nanti. / Too many inquiries; try again later."

OnQuery = Annotated[
    date | None,
    Query(description="The day to price the bills for (YYYY-MM-DD); default: today in WIB"),
]
BillIdPath = Annotated[str, Path(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$", description="ULID")]


def _public_limit(runtime: Runtime) -> SlidingWindowCounter:
    settings = runtime.settings
    limit = settings.public_inquiry_per_minute if isinstance(settings, EpbbSettings) else 30
    return process_counter(runtime.extras, PUBLIC_LIMIT_EXTRA, limit=limit)


@router.get(
    "/v1/objects/{nop}/bills",
    response_model=ObjectBills,
    responses={404: {**_PROBLEM, "description": "Unknown, or not yours to see"}},
)
async def object_bills(
    nop: NopPath,
    reader: Reader,
    session: SessionDep,
    clock: ClockDep,
    on: OnQuery = None,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> ObjectBills:
    """Every current bill of a tax object, newest year first, with what it costs on the day."""
    day = on or clock.today
    inquiry = await service.object_bills(
        session, principal=reader, nop=nop, on=day, purpose=purpose, now=clock.now
    )
    return ObjectBills(
        nop=nop,
        nop_display=format_nop(nop),
        on=day,
        bills=[bill_amounts(b) for b in inquiry.bills],
        total_due=inquiry.total_due,
    )


async def _bill_detail(
    bill_id: str,
    reader: Reader,
    session: SessionDep,
    clock: ClockDep,
    on: date | None,
    purpose: str,
) -> BillDetail:
    day = on or clock.today
    view = await service.read_bill(
        session, principal=reader, bill_id=bill_id, on=day, purpose=purpose, now=clock.now
    )
    bill = view.bill
    return BillDetail.model_validate(
        {
            **amounts(bill, view.due),
            "nop": bill.nop,
            "nop_display": format_nop(bill.nop),
            "kelurahan_code": bill.kelurahan_code,
            "is_current": bill.is_current,
            "reason": bill.reason,
            "request_id": bill.request_id,
            "rules_version": bill.rules_version,
            "issued_at": bill.issued_at,
            "on": day,
            "computation": bill.computation,
            "explanation": view.explanation,
            "versions": view.versions,
        }
    )


@router.get(
    "/v1/bills/{bill_id}",
    response_model=BillDetail,
    responses={404: {**_PROBLEM, "description": "Unknown, or not yours to see"}},
)
async def read_bill(
    bill_id: BillIdPath,
    reader: Reader,
    session: SessionDep,
    clock: ClockDep,
    on: OnQuery = None,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> BillDetail:
    """One bill (any version) with its computation, what it costs on the day, and its versions."""
    return await _bill_detail(bill_id, reader, session, clock, on, purpose)


@router.get(
    "/v1/bills/{bill_id}/explanation",
    response_model=BillDetail,
    responses={404: {**_PROBLEM, "description": "Unknown, or not yours to see"}},
)
async def explain_bill(
    bill_id: BillIdPath,
    reader: Reader,
    session: SessionDep,
    clock: ClockDep,
    on: OnQuery = None,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> BillDetail:
    """A bill explained line by line: from the areas and value classes to the total due."""
    return await _bill_detail(bill_id, reader, session, clock, on, purpose)


@router.get("/v1/bills", response_model=BillPage)
async def list_bills(
    principal: Staff,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
    tax_year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    kelurahan_code: Annotated[
        str | None, Query(pattern=r"^32\.77\.\d{2}\.\d{4}$", description="e.g. 32.77.01.1001")
    ] = None,
    status: Annotated[
        str | None,
        Query(pattern=r"^(unpaid|overdue|paid|reduced-to-zero)$", description="On the day"),
    ] = None,
    on: OnQuery = None,
    cursor: Annotated[
        str | None,
        Query(pattern=r"^\d{18}-\d{4}$", description="next_cursor of the previous page"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> BillPage:
    """Bills of your area by NOP (officers and admins), e.g. the overdue ones of a year; logged."""
    day = on or clock.today
    after = None
    if cursor is not None:
        nop, year = cursor.split("-")
        after = (nop, int(year))
    rows, next_cursor = await service.list_bills(
        session,
        principal=principal,
        query=BillQuery(
            on=day,
            tax_year=tax_year,
            kelurahan_code=kelurahan_code,
            status=status,
            cursor=after,
            limit=limit,
        ),
        settings=epbb_settings(runtime),
        purpose=purpose,
        now=clock.now,
    )
    items = [
        BillListItem.model_validate(
            {
                **amounts(bill, due),
                "nop": bill.nop,
                "nop_display": format_nop(bill.nop),
                "kelurahan_code": bill.kelurahan_code,
                "taxpayer_name": obj.taxpayer_name,
            }
        )
        for bill, obj, due in rows
    ]
    return BillPage(on=day, items=items, next_cursor=next_cursor)


@router.get(
    "/v1/public/bills/{nop}",
    response_model=PublicInquiry,
    tags=["public inquiry"],
    responses={
        404: {**_PROBLEM, "description": "No tax object has this NOP"},
        422: {**_PROBLEM, "description": "Not a valid NOP"},
        429: {**_PROBLEM, "description": "Too many inquiries from your address"},
    },
)
async def public_bills(
    nop: NopPath, request: Request, session: SessionDep, runtime: RuntimeDep, clock: ClockDep
) -> PublicInquiry:
    """Public, no login: the years of a NOP and what is due today (name masked, no NIK, no address)."""
    counter = _public_limit(runtime)
    address = client_address(request)
    refuse_if_limited([(counter, address)], TOO_MANY)
    counter.add(address)
    obj, inquiry = await service.public_bills(session, nop=nop, on=clock.today)
    kelurahan = find_kelurahan(obj.kelurahan_code)
    return PublicInquiry(
        nop=nop,
        nop_display=format_nop(nop),
        taxpayer_name_masked=mask_name(obj.taxpayer_name),
        kelurahan_code=obj.kelurahan_code,
        kelurahan_name=kelurahan.name if kelurahan else None,
        kecamatan_name=kelurahan.kecamatan_name if kelurahan else None,
        on=clock.today,
        bills=[PublicBill.model_validate(amounts(b.bill, b.due)) for b in inquiry.bills],
        total_due=inquiry.total_due,
    )
