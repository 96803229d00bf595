"""Callback signatures (Standard Webhooks) and payment code formats, as pure functions."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cimahi_epbb.payments import codes
from cimahi_epbb.payments.service import ntpd_of
from cimahi_shared.identifiers import validate_nik
from cimahi_shared.webhooks import signing

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
OTHER = "whsec_" + base64.b64encode(b"o" * 32).decode()


def headers(body: bytes, *, secret: str = SECRET, at: datetime = NOW) -> dict[str, str]:
    return signing.signed_headers(
        secret, message_id="msg_1", timestamp=int(at.timestamp()), body=body
    )


def verify(
    h: dict[str, str], body: bytes, secrets: list[str] | None = None
) -> signing.SignedMessage:
    return signing.verify(secrets or [SECRET], headers=h, body=body, now=NOW, tolerance_seconds=300)


class TestSignatures:
    @given(st.binary(max_size=512))
    def test_a_signed_body_verifies_and_any_changed_byte_does_not(self, body: bytes) -> None:
        h = headers(body)
        assert verify(h, body).body == body
        for i in range(min(len(body), 8)):
            changed = body[:i] + bytes([body[i] ^ 1]) + body[i + 1 :]
            with pytest.raises(signing.SignatureInvalid):
                verify(h, changed)
        with pytest.raises(signing.SignatureInvalid):
            verify(h, body + b" ")

    def test_several_signatures_one_matching_is_enough(self) -> None:
        body = b"{}"
        mine = headers(body)["webhook-signature"]
        theirs = headers(body, secret=OTHER)["webhook-signature"]
        h = {**headers(body), "webhook-signature": f"{theirs} v2,xyz v1,!!! {mine}"}
        assert verify(h, body).message_id == "msg_1"
        with pytest.raises(signing.SignatureInvalid):
            verify({**h, "webhook-signature": theirs}, body)

    def test_the_timestamp_window(self) -> None:
        body = b"{}"
        assert verify(headers(body, at=NOW - timedelta(seconds=300)), body)
        for at in (NOW - timedelta(seconds=301), NOW + timedelta(seconds=301)):
            with pytest.raises(signing.TimestampOutOfTolerance):
                verify(headers(body, at=at), body)

    @pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
    def test_missing_headers(self, missing: str) -> None:
        h = headers(b"{}")
        del h[missing]
        with pytest.raises(signing.SignatureMissing):
            verify(h, b"{}")
        with pytest.raises(signing.SignatureMissing):
            verify({**headers(b"{}"), "webhook-timestamp": "yesterday"}, b"{}")


class TestFormats:
    def test_crc16_ccitt_false_check_value(self) -> None:
        assert codes.crc16_ccitt(b"123456789") == 0x29B1

    def test_payment_codes_are_16_digits_with_the_biller_prefix(self) -> None:
        drawn = {codes.new_code() for _ in range(200)}
        assert len(drawn) == 200
        assert all(c.isdigit() and len(c) == 16 and c.startswith("8327") for c in drawn)

    def test_an_ntpd_is_17_digits_and_never_reads_as_a_nik(self) -> None:
        ntpd = ntpd_of(datetime(2026, 6, 1).date(), 1)
        assert ntpd == "32772606010000001"
        assert len(ntpd) == 17
        with pytest.raises(ValueError, match="16 digits"):
            validate_nik(ntpd)
