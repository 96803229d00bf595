"""The session-wide guard against raw NIKs in logs and events (cimahi_shared.testing.nik_guard)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import orjson
import pytest

from cimahi_shared.db import create_engine, utcnow
from cimahi_shared.events.envelope import CloudEvent
from cimahi_shared.events.tables import outbox, plumbing_metadata
from cimahi_shared.identifiers import mask_nik
from cimahi_shared.testing.nik_guard import NikGuard, find_niks, install
from tests.e2e.conftest import check_for_raw_niks

NIK = "3277015205900001"  # valid: Cimahi Selatan, 12 May 1990 (+40: a woman), serial 0001


class TestFindNiks:
    def test_a_valid_nik_is_found_wherever_it_stands(self) -> None:
        assert find_niks(f"nik={NIK}, again:{NIK}, kk 3277011203150004") == [
            NIK,
            "3277011203150004",
        ]

    def test_numbers_that_are_not_a_nik_are_not(self) -> None:
        assert find_niks("1234567890123456") == []  # unknown province 12? day 78: no date
        assert find_niks("3277019999900001") == []  # month 99
        assert find_niks("3277015205900000") == []  # serial 0000
        assert find_niks(NIK + "7") == []  # 17 digits: not a NIK
        assert find_niks(mask_nik(NIK)) == []


class TestGuardInProcess:
    @pytest.mark.raw_nik_expected
    def test_log_records_and_events_with_a_raw_nik_are_recorded(self) -> None:
        guard = NikGuard()
        uninstall = install(guard)
        try:
            logger = logging.getLogger("cimahi.test.nik_guard")
            logger.warning("citizen %s registered", NIK)
            logger.warning("masked %s is fine", mask_nik(NIK))
            try:
                raise ValueError(f"bad input {NIK}")
            except ValueError:
                logger.exception("failed")
            logger.warning("extra field", extra={"nik_number": int(NIK)})
            CloudEvent(type="id.go.cimahikota.test.v1", source="/test", data={"nik": NIK}).to_json()
        finally:
            uninstall()
        sources = [o.source for o in guard.offences]
        assert sources == [
            "log record of 'cimahi.test.nik_guard'",
            "log record of 'cimahi.test.nik_guard'",
            "log record of 'cimahi.test.nik_guard'",
            "event id.go.cimahikota.test.v1",
        ]
        assert all(NIK not in line for line in guard.report())
        assert all(mask_nik(NIK) in o.excerpt for o in guard.offences)

    def test_log_files_are_checked_line_by_line(self, tmp_path: Path) -> None:
        guard = NikGuard()
        log = ["[gateway] GET /api/v1/me 200", f"[lakami] nik {NIK}", "[lakami] ok"]
        offences = guard.check_lines(log, source="platform.log")
        assert [o.source for o in offences] == ["platform.log, line 2"]


class TestPlatformChecks:
    @pytest.mark.raw_nik_expected
    async def test_the_e2e_platform_log_and_outboxes_are_checked(self, tmp_path: Path) -> None:
        url = f"sqlite+aiosqlite:///{tmp_path / 'svc.sqlite3'}"
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(plumbing_metadata.create_all)
                for n, data in enumerate(({"nik": NIK}, {"nik_masked": mask_nik(NIK)})):
                    event = CloudEvent(type=f"t{n}.v1", source="/svc", data=data)
                    await conn.execute(
                        outbox.insert().values(
                            id=event.id,
                            subject="s",
                            payload=orjson.dumps(event.model_dump(mode="json")),
                            created_at=utcnow(),
                            attempts=0,
                        )
                    )
        finally:
            await engine.dispose()
        (tmp_path / "platform.log").write_text(f"[svc] ok\n[svc] nik {NIK}\n")

        guard = NikGuard()
        uninstall = install(guard)
        try:
            await asyncio.to_thread(check_for_raw_niks, tmp_path, {"svc": url})
        finally:
            uninstall()
        assert [o.source for o in guard.offences] == [
            f"{tmp_path.name}/platform.log, line 2",
            "svc outbox",
        ]


class TestGuardFailsTheSession:
    def test_a_raw_nik_in_a_log_fails_an_otherwise_green_session(
        self, pytester: pytest.Pytester
    ) -> None:
        pytester.makepyfile(
            test_leaky=f"""
            import logging

            def test_passes_but_logs_a_nik():
                logging.getLogger("cimahi.leaky").warning("nik %s", "{NIK}")
            """
        )
        result = pytester.runpytest_subprocess("-p", "cimahi_shared.testing.nik_guard")
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        result.stdout.fnmatch_lines(
            [
                "*raw NIK in logs or events*",
                "*log record of 'cimahi.leaky' in test_leaky.py::test_passes_but_logs_a_nik*",
            ]
        )
        result.assert_outcomes(passed=1)
        assert NIK not in result.stdout.str()

    def test_a_raw_nik_in_a_worker_fails_an_xdist_session(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            test_leaky=f"""
            import logging

            def test_passes_but_logs_a_nik():
                logging.getLogger("cimahi.leaky").warning("nik %s", "{NIK}")

            def test_clean():
                pass
            """
        )
        result = pytester.runpytest_subprocess(
            "-p", "cimahi_shared.testing.nik_guard", "-n", "2", "-p", "xdist"
        )
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        result.stdout.fnmatch_lines(
            ["*log record of 'cimahi.leaky' in test_leaky.py::test_passes_but_logs_a_nik*"]
        )
        assert NIK not in result.stdout.str()

    def test_a_clean_session_and_an_expected_nik_pass(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            test_clean=f"""
            import logging
            import pytest

            def test_masked():
                logging.getLogger("cimahi.clean").warning("nik 3277********0001")

            @pytest.mark.raw_nik_expected
            def test_on_purpose():
                logging.getLogger("cimahi.clean").warning("nik %s", "{NIK}")
            """
        )
        result = pytester.runpytest_subprocess("-p", "cimahi_shared.testing.nik_guard")
        assert result.ret == pytest.ExitCode.OK
        result.assert_outcomes(passed=2)
