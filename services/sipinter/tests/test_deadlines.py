"""The sweep: fiktif positif flags past deadlines once; permit expiry reminders once each."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from typer.testing import CliRunner
from ulid import ULID

from cimahi_sipinter.cli import app as cli
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.deadlines.service import DEEMED_APPROVED_NOTE
from cimahi_sipinter.deadlines.sweep import TASK_EXTRA, SweepResult, sweep_once
from cimahi_sipinter.main import create_app
from cimahi_sipinter.models import ApplicationHistory, Business, Permit, PermitReminder
from services.sipinter.tests.conftest import Tokens, problem
from services.sipinter.tests.factories import (
    NOW,
    VERIFIER,
    make_application,
    make_business,
    pin_clock,
)
from services.sipinter.tests.test_levy_helpers import clock_at, count, outbox_events, reload

# Tuesday 17 March 2026, 09:00 WIB: 3 working days are Wednesday 18 and, after Nyepi (19), the
# joint leave day (20) and the weekend, Monday 23 and Tuesday 24 March.
TUESDAY = datetime(2026, 3, 17, 2, 0, tzinfo=UTC)
MONDAY_AFTER = datetime(2026, 3, 23, 2, 0, tzinfo=UTC)
WEDNESDAY_AFTER = datetime(2026, 3, 25, 2, 0, tzinfo=UTC)
TODAY = NOW.date()  # Monday 2 March 2026 (09:00 WIB)


async def sweep(app: FastAPI, settings: SipinterSettings, when: datetime) -> SweepResult:
    """One sweep at ``when``."""
    return await sweep_once(app.state.runtime, clock=clock_at(when), settings=settings)


class TestFiktifPositif:
    async def test_an_application_past_its_deadline_is_flagged_once(
        self, app: FastAPI, settings: SipinterSettings
    ) -> None:
        business = await make_business(app)
        application = await make_application(
            app,
            business,
            status="in_verification",
            stage="technical_verification",
            submitted_at=TUESDAY,
            working_days=3,
            assigned_officer_sub=VERIFIER,
        )
        assert application.due_at == datetime(2026, 3, 24, 16, 59, 59, tzinfo=UTC)
        assert await sweep(app, settings, MONDAY_AFTER) == SweepResult(0, 0)
        assert await sweep(app, settings, WEDNESDAY_AFTER) == SweepResult(1, 0)
        assert await sweep(app, settings, WEDNESDAY_AFTER + timedelta(days=1)) == SweepResult(0, 0)

        stored = await reload(app, application.id)
        assert stored.deemed_approved is True
        assert stored.deemed_approved_at == WEDNESDAY_AFTER
        assert (stored.status, stored.stage) == ("in_verification", "technical_verification")
        assert stored.sequence == application.sequence + 1
        async with app.state.runtime.session_factory() as session:
            (step,) = (
                (
                    await session.execute(
                        select(ApplicationHistory).where(
                            ApplicationHistory.application_id == application.id
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert (step.action, step.from_status, step.to_status) == (
            "deemed_approved",
            "in_verification",
            "in_verification",
        )
        assert (step.actor_role, step.note) == ("system", DEEMED_APPROVED_NOTE)
        (alert,) = await outbox_events(app, "application.deemed_approved")
        assert alert["subject"] == application.id
        data = alert["data"]
        assert data["registration_number"] == application.registration_number
        assert data["permit_type"] == "IZIN_KLINIK"
        assert data["kelurahan_code"] == business.kelurahan_code
        assert data["due_at"] == "2026-03-24T16:59:59+00:00"
        assert data["assigned_officer_sub"] == VERIFIER
        (lifecycle,) = [e for e in await outbox_events(app) if e["type"].endswith("lifecycle.v1")]
        assert lifecycle["data"]["note"] == DEEMED_APPROVED_NOTE

    @pytest.mark.parametrize("status", ["returned", "awaiting_payment", "issued", "withdrawn"])
    async def test_paused_and_closed_applications_are_never_flagged(
        self, app: FastAPI, settings: SipinterSettings, status: str
    ) -> None:
        business = await make_business(app)
        application = await make_application(
            app,
            business,
            status=status,
            submitted_at=TUESDAY,
            working_days=3,
            paused_at=TUESDAY if status in ("returned", "awaiting_payment") else None,
        )
        assert await sweep(app, settings, WEDNESDAY_AFTER + timedelta(days=30)) == SweepResult(0, 0)
        assert (await reload(app, application.id)).deemed_approved is False
        assert await outbox_events(app, "application.deemed_approved") == []

    async def test_nothing_is_flagged_when_deemed_approval_is_off(
        self, app: FastAPI, settings: SipinterSettings
    ) -> None:
        business = await make_business(app)
        application = await make_application(app, business, submitted_at=TUESDAY, working_days=3)
        off = settings.model_copy(update={"deemed_approval_enabled": False})
        assert await sweep(app, off, WEDNESDAY_AFTER) == SweepResult(0, 0)
        assert (await reload(app, application.id)).deemed_approved is False
        assert await outbox_events(app) == []

    async def test_two_sweeps_at_once_flag_each_application_once(
        self, app: FastAPI, settings: SipinterSettings, database_url: str
    ) -> None:
        if not database_url.startswith("postgresql"):
            pytest.skip("two replicas sweeping at once: PostgreSQL's row locks")
        business = await make_business(app)
        for _ in range(60):  # more than one batch
            await make_application(app, business, submitted_at=TUESDAY, working_days=3)
        results = await asyncio.gather(
            sweep(app, settings, WEDNESDAY_AFTER), sweep(app, settings, WEDNESDAY_AFTER)
        )
        assert sum(r.deemed_approved for r in results) == 60
        flagged = ApplicationHistory.action == "deemed_approved"
        assert await count(app, ApplicationHistory, flagged) == 60
        assert len(await outbox_events(app, "application.deemed_approved")) == 60


class TestAdminSweep:
    async def test_an_admin_runs_the_sweep_and_gets_the_counts(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        business = await make_business(app)
        await make_application(app, business, submitted_at=TUESDAY, working_days=3)
        pin_clock(app, WEDNESDAY_AFTER)
        first = await client.post("/v1/admin/sweeps", headers=tokens.admin())
        assert first.status_code == 200, first.text
        assert first.json() == {"deemed_approved": 1, "reminders": 0}
        again = await client.post("/v1/admin/sweeps", headers=tokens.admin())
        assert again.json() == {"deemed_approved": 0, "reminders": 0}

    async def test_only_admins_may_run_it(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        business = await make_business(app)
        application = await make_application(app, business, submitted_at=TUESDAY, working_days=3)
        pin_clock(app, WEDNESDAY_AFTER)
        for headers in (tokens.head(), tokens.officer(), tokens.citizen()):
            problem(await client.post("/v1/admin/sweeps", headers=headers), 403)
        problem(await client.post("/v1/admin/sweeps"), 401)
        assert (await reload(app, application.id)).deemed_approved is False


async def make_permit(
    app: FastAPI,
    business: Business,
    *,
    valid_until: date | None,
    status: str = "valid",
) -> Permit:
    """An issued permit of ``business`` (as permits.issuance would store it)."""
    application = await make_application(app, business, status="issued", stage=None)
    permit = Permit(
        id=str(ULID()),
        number=f"503/{ULID()}"[:40],
        application_id=application.id,
        business_id=business.id,
        permit_type=application.permit_type,
        holder_name=business.name,
        kelurahan_code=business.kelurahan_code,
        deemed_approval=False,
        valid_from=TODAY - timedelta(days=365),
        valid_until=valid_until,
        conditions=[],
        status=status,
        verification_code=str(ULID())[:20],
        issued_at=NOW - timedelta(days=365),
    )
    async with app.state.runtime.session_factory() as session:
        session.add(permit)
        await session.commit()
    return permit


def day(days_from_today: int) -> datetime:
    """09:00 WIB ``days_from_today`` days after Monday 2 March 2026."""
    return NOW + timedelta(days=days_from_today)


class TestExpiryReminders:
    async def test_each_threshold_is_reminded_once(
        self, app: FastAPI, settings: SipinterSettings
    ) -> None:
        business = await make_business(app)
        permit = await make_permit(app, business, valid_until=TODAY + timedelta(days=100))
        expected = {
            5: 0,  # 95 days left
            10: 1,  # 90: the 90-day reminder
            11: 0,  # 89
            70: 1,  # 30
            75: 0,  # 25
            93: 1,  # 7
            100: 0,  # the last day: nothing more
        }
        for offset, sent in expected.items():
            result = await sweep(app, settings, day(offset))
            assert result == SweepResult(0, sent), offset
            assert await sweep(app, settings, day(offset)) == SweepResult(0, 0)
        events = await outbox_events(app, "permit.expiring")
        assert [e["data"]["days_before"] for e in events] == [90, 30, 7]
        assert [e["data"]["days_left"] for e in events] == [90, 30, 7]
        first = events[0]
        assert first["subject"] == permit.id
        assert first["data"]["permit_number"] == permit.number
        assert first["data"]["permit_type"] == permit.permit_type
        assert first["data"]["business_id"] == business.id
        assert first["data"]["valid_until"] == "2026-06-10"
        assert await count(app, PermitReminder) == 3

    async def test_a_permit_first_seen_late_gets_only_the_nearest_reminder(
        self, app: FastAPI, settings: SipinterSettings
    ) -> None:
        business = await make_business(app)
        await make_permit(app, business, valid_until=TODAY + timedelta(days=5))
        assert await sweep(app, settings, NOW) == SweepResult(0, 1)
        (event,) = await outbox_events(app, "permit.expiring")
        assert (event["data"]["days_before"], event["data"]["days_left"]) == (7, 5)
        async with app.state.runtime.session_factory() as session:
            rows = (await session.execute(select(PermitReminder.days_before))).scalars().all()
        assert list(rows) == [7]
        assert await sweep(app, settings, day(1)) == SweepResult(0, 0)

    async def test_revoked_expired_and_unlimited_permits_get_no_reminder(
        self, app: FastAPI, settings: SipinterSettings
    ) -> None:
        business = await make_business(app)
        await make_permit(app, business, valid_until=TODAY + timedelta(days=6), status="revoked")
        await make_permit(app, business, valid_until=TODAY - timedelta(days=1))
        await make_permit(app, business, valid_until=None)
        await make_permit(app, business, valid_until=TODAY + timedelta(days=200))
        assert await sweep(app, settings, NOW) == SweepResult(0, 0)
        assert await outbox_events(app, "permit.expiring") == []


class TestBackgroundTask:
    async def test_the_service_sweeps_on_its_own_and_stops_cleanly(
        self, settings: SipinterSettings
    ) -> None:
        service = create_app(settings.model_copy(update={"sweep_interval_seconds": 0.05}))
        async with service.router.lifespan_context(service):
            pin_clock(service, WEDNESDAY_AFTER)
            business = await make_business(service)
            application = await make_application(
                service, business, submitted_at=TUESDAY, working_days=3
            )
            task = service.state.runtime.extras[TASK_EXTRA]
            for _ in range(200):
                if (await reload(service, application.id)).deemed_approved:
                    break
                await asyncio.sleep(0.05)
            assert (await reload(service, application.id)).deemed_approved is True
            assert not task.done()
        assert task.cancelled()
        assert TASK_EXTRA not in service.state.runtime.extras

    async def test_interval_zero_starts_no_task(self, settings: SipinterSettings) -> None:
        service = create_app(settings.model_copy(update={"sweep_interval_seconds": 0}))
        async with service.router.lifespan_context(service):
            assert TASK_EXTRA not in service.state.runtime.extras


def test_the_cli_sweeps_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIPINTER_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 's.sqlite3'}")
    assert CliRunner().invoke(cli, ["migrate"]).exit_code == 0
    result = CliRunner().invoke(cli, ["sweep"])
    assert result.exit_code == 0, result.output
    assert "sipinter: sweep done (0 deemed approved, 0 expiry reminders)" in result.output
