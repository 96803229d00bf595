"""E-PBB HTTP API: requests (work in progress)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
