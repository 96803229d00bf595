"""E-PBB HTTP API: objects (work in progress)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
