"""HTTP surface of issued documents (filled in by the documents work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["documents"])
