"""E-PBB HTTP API: reconciliation (work in progress)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
