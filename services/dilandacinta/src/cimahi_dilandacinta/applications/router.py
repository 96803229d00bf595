"""HTTP surface of document applications (filled in by the applications work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["applications"])
