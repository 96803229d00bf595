"""The SIPINTER application (``uvicorn cimahi_sipinter.main:create_app --factory``)."""

from __future__ import annotations

from fastapi import FastAPI

from cimahi_shared.app import create_service_app
from cimahi_shared.events.catalogue import catalogue_router as events_catalogue_router
from cimahi_shared.problem_docs import document_problems
from cimahi_shared.uploads.http import install_local_storage, upload_body_limit
from cimahi_sipinter.applications.router import router as applications_router
from cimahi_sipinter.auth import AGENCY
from cimahi_sipinter.businesses.router import router as businesses_router
from cimahi_sipinter.catalogue.router import router as catalogue_router
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.deadlines import sweep
from cimahi_sipinter.deadlines.router import router as deadlines_router
from cimahi_sipinter.events.catalogue import CATALOGUE as EVENTS
from cimahi_sipinter.levy.router import router as levy_router
from cimahi_sipinter.permits.router import router as permits_router
from cimahi_sipinter.review.router import router as review_router
from cimahi_sipinter.uploads.router import PATH as UPLOADS_PATH
from cimahi_sipinter.uploads.router import router as uploads_router

DESCRIPTION = """SIPINTER of Kota Cimahi, run by DPMPTSP: business licensing and permits.

* **Permit catalogue** (public): every permit type with its risk tier, requirements, stages,
  time limit in working days, levy (retribusi) and product, published as a service standard.
* **Businesses** by NIB: registered by an applicant, who may add co-owners; seen only by its
  owners and DPMPTSP officers of its area (every officer read is logged).
* **Applications**: drafted and submitted by a business's owner (registration number), checked,
  verified by an assigned officer (site survey where due), recommended, levy paid, signed by the
  head; returned for completion with the deadline clock paused. Deadlines in working days;
  applications not decided in time are flagged granted by law (fiktif positif).
* **Uploads** (`/v1/uploads`): requirement documents (PDF, JPEG or PNG, decided by the content).
* **Levy payments**: confirmed by payment channels with signed callbacks (Standard Webhooks).
* **Permits**: number, validity, conditions, PDF with QR; anyone can verify one by its code;
  the head may revoke one with a reason; expiry reminders are events.

Applications also appear in the applicant's unified request list of the gateway.
"""


def create_app(settings: SipinterSettings | None = None) -> FastAPI:
    """Build the SIPINTER service (nothing connects before the lifespan starts)."""
    settings = settings or SipinterSettings()
    app = create_service_app(
        settings,
        title="SIPINTER - perizinan",
        description=DESCRIPTION,
        agency=AGENCY,
        routers=[
            catalogue_router,
            businesses_router,
            applications_router,
            review_router,
            levy_router,
            permits_router,
            uploads_router,
            deadlines_router,
            events_catalogue_router(EVENTS),
        ],
        on_start=[sweep.start],
        on_stop=[sweep.stop],
        # Only the upload endpoint takes bodies above max_body_bytes.
        body_limits={("POST", UPLOADS_PATH): upload_body_limit(settings.upload_max_bytes)},
    )
    install_local_storage(app, settings.upload_dir)
    return document_problems(app)
