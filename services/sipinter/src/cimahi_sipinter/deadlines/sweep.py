"""The periodic sweep (CONTRACT - helper C fills it).

``sweep(session_factory, clock, settings)`` flags applications past their deadline as granted by
law (fiktif positif) and emits expiry reminders; ``start``/``stop`` run it every
``settings.sweep_interval_seconds`` inside the service (hooks of ``create_service_app``).
"""

from __future__ import annotations

from cimahi_shared.app import Runtime


async def start(runtime: Runtime) -> None:
    """Start the background sweep (nothing yet)."""


async def stop(runtime: Runtime) -> None:
    """Stop the background sweep."""
