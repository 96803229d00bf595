"""Request and response bodies of channels, payment codes, callbacks and receipts."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from cimahi_shared.identifiers import NOP


class ChannelKind(StrEnum):
    """What kind of payment point a channel is."""

    BANK = "bank"
    QRIS = "qris"
    VA = "va"
    POST = "post"
    RETAIL = "retail"


ChannelCodeStr = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,31}$")]
TaxYear = Annotated[int, Field(ge=1990, le=2100)]


class ChannelCreate(BaseModel):
    """A channel to register (admin)."""

    model_config = ConfigDict(extra="forbid")

    code: ChannelCodeStr = Field(description="Short lowercase code, e.g. 'bjb'")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100)]
    kind: ChannelKind
    client_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")] = (
        Field(description="The gateway machine client the channel calls with")
    )


class ChannelRead(BaseModel):
    """A channel (never its secret)."""

    code: str
    name: str
    kind: ChannelKind
    client_id: str
    active: bool
    created_at: datetime


class ChannelSecretRead(ChannelRead):
    """A channel with its HMAC secret: shown once, at registration and at rotation."""

    secret: str = Field(description="whsec_<base64>: the HMAC key of its callbacks; shown once")


class ChannelList(BaseModel):
    """Every registered channel."""

    items: list[ChannelRead]


class BillDueRead(BaseModel):
    """An unpaid bill with what it costs today."""

    bill_id: str
    tax_year: int
    sppt_number: str
    due_date: date
    principal: int
    reduction: int
    discount: int
    penalty_months: int
    penalty: int
    penalty_waived: int
    total: int


class ChannelInquiryRead(BaseModel):
    """What a channel may see of an object: its unpaid bills and today's amounts."""

    nop: str
    nop_display: str
    taxpayer_name: str = Field(description="Masked (R*** M******)")
    kelurahan_code: str
    on: date
    bills: list[BillDueRead]
    total_due: int


class PaymentCodeCreate(BaseModel):
    """Which bills of an object to pay (all unpaid ones when tax_years is omitted)."""

    model_config = ConfigDict(extra="forbid")

    nop: NOP
    tax_years: Annotated[list[TaxYear], Field(min_length=1, max_length=50)] | None = None


class MyPaymentCodeCreate(PaymentCodeCreate):
    """A citizen's payment code for their linked object, through a QRIS or VA channel."""

    channel: ChannelCodeStr


class CodeBillRead(BaseModel):
    """A bill covered by a payment code with its frozen amounts."""

    bill_id: str
    nop: str
    tax_year: int
    sppt_number: str
    principal: int
    reduction: int
    discount: int
    penalty: int
    penalty_waived: int
    total: int


class PaymentCodeRead(BaseModel):
    """An exact amount payable through one channel until ``expires_at``."""

    code: str = Field(description="16-digit virtual account number / QRIS reference")
    kind: ChannelKind
    channel: str
    payload: str | None = Field(description="QRIS payload (EMVCo) for QRIS channels, else null")
    amount: int
    status: str = Field(description="open | paid | expired")
    expires_at: datetime
    ntpd: str | None = Field(default=None, description="The receipt number once paid")
    bills: list[CodeBillRead]


class PaymentConfirmation(BaseModel):
    """A channel's signed confirmation that it took the payment of a code."""

    model_config = ConfigDict(extra="forbid")

    payment_code: Annotated[str, StringConstraints(pattern=r"^\d{16}$")]
    amount: int = Field(gt=0, description="Whole rupiah, exactly the code's amount")
    channel_reference: Annotated[
        str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")
    ] = Field(description="The channel's own unique reference of the payment")
    paid_at: AwareDatetime = Field(description="When the channel took the money")


class PaidBillRead(BaseModel):
    """A bill a payment settled."""

    nop: str
    tax_year: int
    sppt_number: str
    amount: int


class PaymentRead(BaseModel):
    """A confirmed payment and its receipt."""

    ntpd: str = Field(
        description="Receipt number (17 digits): 3277 + yymmdd + 7-digit serial of the day"
    )
    channel: str
    channel_reference: str
    payment_code: str
    amount: int
    paid_at: datetime
    verification_code: str
    receipt_url: str = Field(description="The receipt's public verification page")
    bills: list[PaidBillRead]


class ReceiptLine(BaseModel):
    """One bill on a receipt."""

    nop: str
    nop_display: str
    tax_year: int
    sppt_number: str
    principal: int
    reduction: int
    discount: int
    penalty: int
    penalty_waived: int
    total: int


class ReceiptRead(BaseModel):
    """A receipt (bukti pembayaran) as its owner and officers see it."""

    ntpd: str
    verification_code: str
    verification_url: str
    amount: int
    channel: str
    taxpayer_name: str = Field(description="Masked")
    paid_at: datetime
    issued_at: datetime
    lines: list[ReceiptLine]


class ReceiptPage(BaseModel):
    """A page of receipts, newest first."""

    items: list[ReceiptRead]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null at the end")


class ReceiptVerificationRead(BaseModel):
    """What anyone holding the paper may check: genuine, with masked facts."""

    status: str = Field(description="genuine")
    valid: bool
    message: str
    verification_code: str
    ntpd: str
    amount: int
    channel: str
    taxpayer_name: str
    paid_at: datetime
    lines: list[ReceiptLine]
