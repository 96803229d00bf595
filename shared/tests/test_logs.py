"""JSON logs never show a NIK unmasked: not in the message, its arguments, extras or tracebacks."""

from __future__ import annotations

import io
import logging

import orjson
import pytest

from cimahi_shared.context import request_id_var
from cimahi_shared.logs import JsonFormatter, PlainFormatter, configure_logging, mask_digits

NIK_VALUE = "3277011203900001"
MASKED = "3277********0001"


@pytest.fixture
def captured() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("test"))
    # A logger outside the registry: pytest's capture handlers are not attached to it.
    logger = logging.Logger("cimahi.test.logs", logging.DEBUG)
    logger.addHandler(handler)
    return logger, stream


def lines(stream: io.StringIO) -> list[str]:
    return [line for line in stream.getvalue().splitlines() if line]


class TestMaskDigits:
    def test_a_sixteen_digit_run_is_masked(self) -> None:
        assert mask_digits(f"nik={NIK_VALUE}.") == f"nik={MASKED}."

    def test_longer_or_shorter_numbers_are_left_alone(self) -> None:
        assert mask_digits("12345678901234567") == "12345678901234567"
        assert mask_digits("123456789012345") == "123456789012345"


class TestJsonFormatter:
    def test_a_nik_in_the_message_is_masked(
        self, captured: tuple[logging.Logger, io.StringIO]
    ) -> None:
        logger, stream = captured
        logger.info(f"citizen {NIK_VALUE} asked for a letter")
        (line,) = lines(stream)
        assert NIK_VALUE not in line
        assert orjson.loads(line)["msg"] == f"citizen {MASKED} asked for a letter"

    def test_a_nik_in_the_arguments_is_masked(
        self, captured: tuple[logging.Logger, io.StringIO]
    ) -> None:
        logger, stream = captured
        logger.warning("lookup %s / %d", NIK_VALUE, int(NIK_VALUE))
        (line,) = lines(stream)
        assert NIK_VALUE not in line
        assert orjson.loads(line)["msg"] == f"lookup {MASKED} / {MASKED}"

    def test_a_nik_in_extra_fields_is_masked(
        self, captured: tuple[logging.Logger, io.StringIO]
    ) -> None:
        logger, stream = captured
        logger.info(
            "submitted",
            extra={
                "nik": NIK_VALUE,
                "nik_number": int(NIK_VALUE),
                "form": {"applicant": {"nik": NIK_VALUE}, 1: NIK_VALUE},
                "raw": NIK_VALUE.encode(),
                "kk_list": [NIK_VALUE, "3277012345678901"],
            },
        )
        (line,) = lines(stream)
        assert NIK_VALUE not in line
        assert "3277012345678901" not in line
        entry = orjson.loads(line)
        assert entry["nik"] == MASKED
        assert entry["nik_number"] == MASKED
        assert entry["form"]["applicant"]["nik"] == MASKED

    def test_a_nik_in_a_traceback_is_masked(
        self, captured: tuple[logging.Logger, io.StringIO]
    ) -> None:
        logger, stream = captured
        try:
            raise ValueError(f"bad NIK {NIK_VALUE}")
        except ValueError:
            logger.exception("failed")
        (line,) = lines(stream)
        assert NIK_VALUE not in line
        assert MASKED in orjson.loads(line)["exc"]

    def test_a_broken_format_string_does_not_leak_its_arguments(
        self, captured: tuple[logging.Logger, io.StringIO], capsys: pytest.CaptureFixture[str]
    ) -> None:
        logger, stream = captured
        logger.info("two placeholders %s %s", NIK_VALUE)
        assert NIK_VALUE not in stream.getvalue()
        assert NIK_VALUE not in capsys.readouterr().err
        assert MASKED in stream.getvalue()

    def test_an_integer_beyond_64_bits_is_still_logged(
        self, captured: tuple[logging.Logger, io.StringIO]
    ) -> None:
        logger, stream = captured
        logger.info("big", extra={"big": 2**70, "nik": NIK_VALUE})
        (line,) = lines(stream)
        assert NIK_VALUE not in line
        assert orjson.loads(line)["big"] == 2**70

    def test_the_entry_carries_level_logger_service_and_request_id(
        self, captured: tuple[logging.Logger, io.StringIO]
    ) -> None:
        logger, stream = captured
        token = request_id_var.set("req-123")
        try:
            logger.error("hello")
        finally:
            request_id_var.reset(token)
        entry = orjson.loads(lines(stream)[0])
        assert entry["level"] == "error"
        assert entry["logger"] == "cimahi.test.logs"
        assert entry["service"] == "test"
        assert entry["request_id"] == "req-123"
        assert entry["ts"].endswith("+00:00")


class TestPlainFormatter:
    def test_a_nik_is_masked(self) -> None:
        record = logging.makeLogRecord({"msg": "nik %s", "args": (NIK_VALUE,), "levelname": "INFO"})
        assert PlainFormatter("%(message)s").format(record) == f"nik {MASKED}"


class TestConfigureLogging:
    @pytest.mark.raw_nik_expected  # logs a NIK through the root logger to see it masked
    def test_the_root_logger_writes_masked_json_to_stdout(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        configure_logging("svc", level="INFO", json=True)
        logging.getLogger("cimahi.any").info("nik %s", NIK_VALUE)
        out = capsys.readouterr().out
        assert NIK_VALUE not in out
        assert orjson.loads(out.splitlines()[-1])["msg"] == f"nik {MASKED}"
