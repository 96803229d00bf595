"""The demo seed: Ani's clinic with valid PBG and SLF, Budi's queue of applications; idempotent."""

from __future__ import annotations

import json

from sqlalchemy import text

from cimahi_shared.db import create_engine
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.demo import ANI_SUB, BUDI_SUB, CLINIC_NIB, seed_demo


async def _rows(settings: SipinterSettings, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in await conn.execute(text(sql))]
    finally:
        await engine.dispose()


async def test_seed_gives_ani_a_clinic_with_pbg_and_slf_and_budi_a_queue(
    settings: SipinterSettings,
) -> None:
    first = await seed_demo(settings)
    assert all(line.endswith("seeded") for line in first), first
    again = await seed_demo(settings)
    assert all(line.endswith("already there") for line in again), again

    owners = await _rows(
        settings,
        "SELECT b.nib, o.owner_sub, o.applicant_nik_masked FROM businesses b"
        " JOIN business_owners o ON o.business_id = b.id ORDER BY b.nib",
    )
    assert [(nib, sub) for nib, sub, _ in owners] == [
        (CLINIC_NIB, ANI_SUB),
        (owners[1][0], BUDI_SUB),
    ]
    assert all(str(masked).count("*") == 8 for _, _, masked in owners)

    permits = await _rows(
        settings,
        "SELECT p.permit_type, p.number, p.status, a.prerequisites FROM permits p"
        " JOIN applications a ON a.id = p.application_id ORDER BY p.number",
    )
    assert [(t, s) for t, _, s, _ in permits] == [("PBG", "valid"), ("SLF", "valid")]
    pbg_number = permits[0][1]
    slf_prerequisites = permits[1][3]
    if isinstance(slf_prerequisites, str):
        slf_prerequisites = json.loads(slf_prerequisites)
    assert slf_prerequisites["pbg"] == pbg_number  # the SLF names the PBG seeded before it

    statuses = await _rows(
        settings, f"SELECT status FROM applications WHERE applicant_sub = '{BUDI_SUB}'"
    )
    assert sorted(s for (s,) in statuses) == [
        "awaiting_signature",
        "in_verification",
        "returned",
        "submitted",
    ]
    numbers = [n for (n,) in await _rows(settings, "SELECT registration_number FROM applications")]
    assert len(set(numbers)) == 6
    assert all(str(n).startswith("SPN-") for n in numbers)


async def test_seed_publishes_lifecycle_events_without_niks(settings: SipinterSettings) -> None:
    await seed_demo(settings)
    payloads = [bytes(p).decode() for (p,) in await _rows(settings, "SELECT payload FROM outbox")]
    lifecycle = [p for p in payloads if "request.lifecycle" in p]
    assert len(lifecycle) >= 6
    assert all("3277015205900001" not in p and "3277030308850002" not in p for p in payloads)
