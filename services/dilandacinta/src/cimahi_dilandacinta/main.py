"""The DILANDACINTA application (``uvicorn cimahi_dilandacinta.main:create_app --factory``)."""

from __future__ import annotations

from fastapi import FastAPI

from cimahi_dilandacinta.applications.router import router as applications_router
from cimahi_dilandacinta.auth import AGENCY
from cimahi_dilandacinta.config import DilandacintaSettings
from cimahi_dilandacinta.documents.router import router as documents_router
from cimahi_dilandacinta.register.router import router as register_router
from cimahi_shared.app import create_service_app

DESCRIPTION = """DILANDACINTA of Kota Cimahi, run by Disdukcapil: the population register and
population administration documents (adminduk).

* **Register**: persons and family cards (KK) of the city. Officers read records of their area
  (every read is logged); a citizen reads their own record and who accessed it.
* **Identity proofing**: the gateway's citizen registration asks whether NIK + No. KK + name +
  birth date match the register (answer: match / no match, nothing else).
* **Applications**: KK, KTP-el, KIA, akta kelahiran/kematian, surat pindah/kedatangan, biodata
  changes; officers verify, return or reject, process; the head of Dinas signs. All free.
* **Documents**: issued documents carry a number and a QR code; anyone can verify them.

Applications also appear in the citizen's unified request list of the gateway.
"""


def create_app(settings: DilandacintaSettings | None = None) -> FastAPI:
    """Build the DILANDACINTA service (nothing connects before the lifespan starts)."""
    settings = settings or DilandacintaSettings()
    return create_service_app(
        settings,
        title="DILANDACINTA - administrasi kependudukan",
        description=DESCRIPTION,
        agency=AGENCY,
        routers=[register_router, applications_router, documents_router],
    )
