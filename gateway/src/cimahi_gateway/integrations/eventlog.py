"""(being built)"""

from __future__ import annotations

from cimahi_shared.app import Runtime


async def on_start(runtime: Runtime) -> None:
    """Start (nothing yet)."""


async def on_stop(runtime: Runtime) -> None:
    """Stop."""
