"""HTTP surface of the sweep: an admin runs it at once (it also runs on its own)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel

from cimahi_shared.app import RuntimeDep
from cimahi_shared.auth import Principal, require_roles
from cimahi_shared.errors import PROBLEM_JSON
from cimahi_sipinter.clock import ClockDep
from cimahi_sipinter.config import settings_of
from cimahi_sipinter.deadlines.sweep import sweep_once

router = APIRouter(tags=["admin"])

Admin = Annotated[Principal, require_roles("admin")]
_PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


class SweepRead(BaseModel):
    """What the sweep did."""

    deemed_approved: int
    reminders: int


@router.post(
    "/v1/admin/sweeps",
    response_model=SweepRead,
    responses={401: _PROBLEM, 403: _PROBLEM},
)
async def run_sweep(_admin: Admin, runtime: RuntimeDep, clock: ClockDep) -> SweepRead:
    """Run the deadline sweep now: flag applications past their deadline (fiktif positif) and
    emit due permit expiry reminders. Safe to run any time: nothing is done twice."""
    result = await sweep_once(runtime, clock=clock, settings=settings_of(runtime))
    return SweepRead(deemed_approved=result.deemed_approved, reminders=result.reminders)
