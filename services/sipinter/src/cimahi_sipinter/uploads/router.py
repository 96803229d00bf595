"""Upload endpoints (being built)."""

from __future__ import annotations

from fastapi import APIRouter

PATH = "/v1/uploads"

router = APIRouter(prefix=PATH, tags=["uploads"])
