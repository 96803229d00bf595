"""Bodies of the public verification and of revocation."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class VerificationResult(StrEnum):
    """What a verification code says about a letter (``unknown`` is the 404 answer)."""

    GENUINE = "genuine"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


class LetterVerificationRead(BaseModel):
    """The public answer for a known code: only what a receiver compares with the paper, masked."""

    result: VerificationResult = Field(description="genuine (valid) or revoked (no longer valid)")
    valid: bool = Field(description="True only for a genuine letter that is not revoked")
    message: str = Field(description="The answer in one sentence, in Bahasa Indonesia")
    verification_code: str = Field(description="The code in its printed form XXXX-XXXX-XXXX")
    letter_type: str = Field(description="Name of the letter, e.g. 'Surat Keterangan Domisili'")
    letter_number: str
    issued_on: date = Field(description="Date of the letter (WIB)")
    kelurahan: str = Field(description="Name of the holder's kelurahan")
    kecamatan: str
    signer_title: str = Field(description="The signing office, e.g. 'Lurah Melong'")
    holder_name: str = Field(
        description="The holder's name masked: each word's first letter, then one * per letter"
    )
    holder_nik: str = Field(description="The holder's NIK masked: 3277********0011")
    revoked_on: date | None = Field(description="Date (WIB) the letter was revoked, if it was")


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class LetterRevocationCreate(BaseModel):
    """Body of a revocation: why the letter is no longer valid (kept internal, never published)."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason


class LetterRevocationRead(BaseModel):
    """A revoked letter: the public check now answers ``revoked``."""

    tracking_no: str
    letter_number: str
    verification_code: str
    revoked_at: datetime
    revoked_by_sub: str
    reason: str
