"""Signed callbacks (Standard Webhooks): how a sender signs a message, how the receiver checks it.

Used by E-PBB and SIPINTER for payment channels' confirmations. A sender (e.g. a bank) sends
its message with three headers:

* ``webhook-id``: its own id of the message (the same on every retry of that message);
* ``webhook-timestamp``: unix seconds when it signed;
* ``webhook-signature``: ``v1,<base64(HMAC-SHA256(key, f"{id}.{timestamp}.{raw body}"))>``;
  several space-separated signatures are allowed (e.g. with the old and new secret while
  rotating); one matching is enough, compared in constant time.

The sender's secret is shown once when it is registered or its secret rotated:
``whsec_<base64 of 32 random bytes>``; the HMAC key is the decoded bytes after ``whsec_`` (as
in the Standard Webhooks libraries). A timestamp further than
the receiver's tolerance (e.g. ``EPBB_CALLBACK_TOLERANCE_SECONDS``) from its clock is refused
(an old capture cannot be replayed); within the window the receiver deduplicates by
``webhook-id`` or by the message's own reference.

Example (Python)::

    body = json.dumps({"payment_code": "...", "amount": 453924,
                       "channel_reference": "BJB-0001", "paid_at": "2026-06-01T10:00:00+07:00"})
    msg_id, ts = "msg_0001", str(int(time.time()))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{ts}.{body}".encode(), hashlib.sha256).digest()
    headers = {"webhook-id": msg_id, "webhook-timestamp": ts,
               "webhook-signature": "v1," + base64.b64encode(mac).decode()}
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cimahi_shared.errors import Unauthorized

SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"
MAX_MESSAGE_ID = 128


class SignatureMissing(Unauthorized):
    """The callback carries no (or malformed) webhook-id / webhook-timestamp / webhook-signature."""

    code, title = "callback-signature-missing", "The callback is not signed"


class SignatureInvalid(Unauthorized):
    """No signature of the callback matches the channel's secret."""

    code, title = "callback-signature-invalid", "The callback's signature is wrong"


class TimestampOutOfTolerance(Unauthorized):
    """webhook-timestamp is too old or too far in the future (a replayed or delayed message)."""

    code, title = "callback-timestamp-invalid", "The callback's timestamp is outside the window"


@dataclass(frozen=True, slots=True)
class SignedMessage:
    """A callback whose signature checked out."""

    message_id: str
    timestamp: int
    body: bytes


def new_secret() -> str:
    """A fresh channel secret (``whsec_`` + base64 of 32 random bytes)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of a message (what a channel sends)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    mac = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(mac).decode()}"


def signed_headers(secret: str, *, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of a signed callback (for channels' clients, demos and tests)."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(
            secret, message_id=message_id, timestamp=timestamp, body=body
        ),
    }


def verify(
    secrets_: list[str],
    *,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    tolerance_seconds: int,
) -> SignedMessage:
    """Check a callback's headers against the channel's secret(s); raise a 401 problem if wrong."""
    message_id = headers.get("webhook-id", "").strip()
    raw_timestamp = headers.get("webhook-timestamp", "").strip()
    raw_signatures = headers.get("webhook-signature", "").strip()
    if not message_id or not raw_timestamp or not raw_signatures:
        raise SignatureMissing(
            "Send webhook-id, webhook-timestamp and webhook-signature (Standard Webhooks)."
        )
    if len(message_id) > MAX_MESSAGE_ID:
        raise SignatureMissing(f"webhook-id is longer than {MAX_MESSAGE_ID} characters.")
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise SignatureMissing("webhook-timestamp must be unix seconds.") from None
    if abs(now.timestamp() - timestamp) > tolerance_seconds:
        raise TimestampOutOfTolerance(
            f"webhook-timestamp is more than {tolerance_seconds} seconds from our clock: "
            "sign the message again when you send it."
        )
    expected = [
        signature(s, message_id=message_id, timestamp=timestamp, body=body).split(",", 1)[1]
        for s in secrets_
    ]
    for candidate in raw_signatures.split():
        version, _, value = candidate.partition(",")
        if version != SIGNATURE_VERSION or not value:
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if any(hmac.compare_digest(given, base64.b64decode(e)) for e in expected):
            return SignedMessage(message_id=message_id, timestamp=timestamp, body=body)
    raise SignatureInvalid("No v1 signature matches this channel's secret.")
