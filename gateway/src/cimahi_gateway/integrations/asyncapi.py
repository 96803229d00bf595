"""(being built) The AsyncAPI 3.0 document of every agency's events."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["integrations"])
