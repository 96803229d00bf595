"""The SIPINTER application (``uvicorn cimahi_sipinter.main:create_app --factory``)."""

from __future__ import annotations

from fastapi import FastAPI

from cimahi_shared.app import create_service_app
from cimahi_sipinter.auth import AGENCY
from cimahi_sipinter.businesses.router import router as businesses_router
from cimahi_sipinter.catalogue.router import router as catalogue_router
from cimahi_sipinter.config import SipinterSettings

DESCRIPTION = """SIPINTER of Kota Cimahi, run by DPMPTSP: business licensing and permits.

* **Permit catalogue** (public): every permit type with its risk tier, requirements, stages,
  time limit in working days, levy (retribusi) and product, published as a service standard.
* **Businesses** by NIB: registered by an applicant, who may add co-owners; seen only by its
  owners and DPMPTSP officers of its area (every officer read is logged).
"""


def create_app(settings: SipinterSettings | None = None) -> FastAPI:
    """Build the SIPINTER service (nothing connects before the lifespan starts)."""
    settings = settings or SipinterSettings()
    return create_service_app(
        settings,
        title="SIPINTER - perizinan",
        description=DESCRIPTION,
        agency=AGENCY,
        routers=[catalogue_router, businesses_router],
    )
