"""HTTP surface of the population register (filled in by the register work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["register"])
