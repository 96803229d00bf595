"""Payment codes: 16-digit virtual account numbers and QRIS payloads (EMVCo merchant-presented).

* A code is 16 digits: ``8327`` (Cimahi's PBB biller prefix) + 12 random digits; unique (the
  database's unique index; a collision is drawn again).
* For a channel of kind ``qris`` the code also comes with a dynamic QRIS payload: EMVCo TLV
  fields (payload format 01, dynamic 12, merchant account with the code as reference, MCC 9311
  (tax payments), currency 360 (IDR), the exact amount, country ID, merchant name and city),
  closed by the CRC-16/CCITT-FALSE checksum (tag 63), as a QRIS acquirer would render it.
"""

from __future__ import annotations

from cimahi_shared.payment_codes import random_code

BILLER_PREFIX = "8327"
CODE_DIGITS = 16
MERCHANT_NAME = "BAPENDA KOTA CIMAHI"
MERCHANT_CITY = "CIMAHI"
QRIS_GUID = "ID.CO.QRIS.WWW"


def new_code() -> str:
    """A fresh 16-digit payment code (virtual account number)."""
    return random_code(BILLER_PREFIX, CODE_DIGITS)


def _tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF), the EMVCo QR checksum."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def qris_payload(*, code: str, amount: int) -> str:
    """The dynamic QRIS string for paying ``amount`` rupiah against ``code``."""
    merchant = _tlv("00", QRIS_GUID) + _tlv("01", BILLER_PREFIX + "0000000000") + _tlv("02", code)
    body = (
        _tlv("00", "01")
        + _tlv("01", "12")
        + _tlv("26", merchant)
        + _tlv("52", "9311")
        + _tlv("53", "360")
        + _tlv("54", str(amount))
        + _tlv("58", "ID")
        + _tlv("59", MERCHANT_NAME)
        + _tlv("60", MERCHANT_CITY)
        + _tlv("62", _tlv("01", code))
        + "6304"
    )
    return body + f"{crc16_ccitt(body.encode('ascii')):04X}"
