"""The catalogue: published service standards, looked up by code."""

from __future__ import annotations

from cimahi_dilandacinta.catalogue.schemas import ServiceStandard
from cimahi_dilandacinta.catalogue.standards import STANDARDS
from cimahi_shared.errors import NotFound


def list_services() -> list[ServiceStandard]:
    """Every document service, in catalogue order."""
    return list(STANDARDS.values())


def get_service(code: str) -> ServiceStandard:
    """One service, or 404."""
    standard = STANDARDS.get(code)
    if standard is None:
        raise NotFound(f"There is no service {code!r}.")
    return standard
