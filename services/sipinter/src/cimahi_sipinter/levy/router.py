"""HTTP surface of levy (being built)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["levy"])
