"""What a levy is computed on, and the payment channels' confirmations of levy payments."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class LevyQuantity(BaseModel):
    """The measures a levy basis needs: the area (per m2 bases) and years (yearly bases)."""

    model_config = ConfigDict(extra="forbid")

    area_m2: int | None = Field(
        default=None, ge=1, le=1_000_000, description="Floor or display area in whole m2"
    )
    years: int | None = Field(default=None, ge=1, le=5, description="For yearly levies")


class LevyPaymentConfirmation(BaseModel):
    """A payment channel's report that a levy was paid (the signed callback's body)."""

    model_config = ConfigDict(extra="forbid")

    levy_code: str = Field(pattern=r"^\d{16}$", description="The levy's 16-digit payment code")
    amount: int = Field(ge=1, le=10_000_000_000, description="Whole rupiah paid")
    channel_reference: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:/-]+$",
        description="The channel's own unique reference of the payment (its idempotency key)",
    )
    paid_at: AwareDatetime = Field(description="When the payer paid (with a UTC offset)")


class LevyPaymentRead(BaseModel):
    """A recorded levy payment, as its channel sees it (the same on every repeat)."""

    application_id: str
    registration_number: str | None
    levy_code: str
    amount: int
    channel_reference: str
    paid_at: datetime
    status: Literal["paid"] = "paid"
