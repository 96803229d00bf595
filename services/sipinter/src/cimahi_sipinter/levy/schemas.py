"""What a levy is computed on, as the recommending officer states it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LevyQuantity(BaseModel):
    """The measures a levy basis needs: the area (per m2 bases) and years (yearly bases)."""

    model_config = ConfigDict(extra="forbid")

    area_m2: int | None = Field(
        default=None, ge=1, le=1_000_000, description="Floor or display area in whole m2"
    )
    years: int | None = Field(default=None, ge=1, le=5, description="For yearly levies")
