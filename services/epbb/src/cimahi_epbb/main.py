"""The E-PBB application (``uvicorn cimahi_epbb.main:create_app --factory``)."""

from __future__ import annotations

from fastapi import FastAPI

from cimahi_epbb.auth import AGENCY
from cimahi_epbb.bills.router import router as bills_router
from cimahi_epbb.config import EpbbSettings
from cimahi_epbb.events.catalogue import CATALOGUE
from cimahi_epbb.objects.router import router as objects_router
from cimahi_epbb.payments.router import router as payments_router
from cimahi_epbb.reconciliation.router import router as reconciliation_router
from cimahi_epbb.requests.router import router as requests_router
from cimahi_epbb.rules.router import router as rules_router
from cimahi_shared.app import create_service_app
from cimahi_shared.events.catalogue import catalogue_router
from cimahi_shared.problem_docs import document_problems

DESCRIPTION = """E-PBB of Kota Cimahi, run by Bapenda: the property tax (PBB-P2).

* **Tax objects** by NOP (`32.77.010.001.001-0001.0`): location, land and building, value
  classes, taxpayer. A citizen links the objects they pay to their account (NOP + NIK).
* **Tax-year rules** as versioned configuration: tariff, NJOP%, NJOPTKP, due date, penalty,
  reductions, early-payment discounts, penalty amnesties.
* **Bills (SPPT)** generated per tax year (idempotent), each explainable line by line.
* **Inquiry** by NOP: every year with what is due today (principal, reduction, discount,
  penalty, total), for the taxpayer, officers and payment channels.
* **Payments** through channels (bank, QRIS, virtual account, post, retail): exact amount ->
  payment code -> signed, idempotent callback -> receipt (NTPD) with a verifiable PDF.
* **Reconciliation** of each channel's daily settlement file.
* **Taxpayer requests**: objection (keberatan), reduction (pengurangan), data change (mutasi),
  decided by officers; outcomes make a new bill version. They and paid bills appear in the
  citizen's unified request list of the gateway.
"""


def create_app(settings: EpbbSettings | None = None) -> FastAPI:
    """Build the E-PBB service (nothing connects before the lifespan starts)."""
    settings = settings or EpbbSettings()
    app = create_service_app(
        settings,
        title="E-PBB - pajak bumi dan bangunan",
        description=DESCRIPTION,
        agency=AGENCY,
        routers=[
            rules_router,
            objects_router,
            bills_router,
            payments_router,
            reconciliation_router,
            requests_router,
            catalogue_router(CATALOGUE),
        ],
    )
    return document_problems(app)
