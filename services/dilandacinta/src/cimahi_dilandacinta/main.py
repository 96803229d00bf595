"""The DILANDACINTA application (``uvicorn cimahi_dilandacinta.main:create_app --factory``)."""

from __future__ import annotations

from fastapi import FastAPI

from cimahi_dilandacinta.applications.router import router as applications_router
from cimahi_dilandacinta.auth import AGENCY
from cimahi_dilandacinta.catalogue.router import router as catalogue
from cimahi_dilandacinta.config import DilandacintaSettings
from cimahi_dilandacinta.documents.router import router as documents_router
from cimahi_dilandacinta.events.catalogue import CATALOGUE
from cimahi_dilandacinta.register.router import router as register_router
from cimahi_dilandacinta.uploads.router import PATH as UPLOADS_PATH
from cimahi_dilandacinta.uploads.router import router as uploads_router
from cimahi_shared.app import create_service_app
from cimahi_shared.events.catalogue import catalogue_router
from cimahi_shared.problem_docs import document_lookups, document_problems
from cimahi_shared.uploads.http import install_local_storage, upload_body_limit

DESCRIPTION = """DILANDACINTA of Kota Cimahi, run by Disdukcapil: the population register and
population administration documents (adminduk).

* **Register**: persons and family cards (KK) of the city. Officers read records of their area
  (every read is logged); a citizen reads their own record and who accessed it.
* **Identity proofing**: the gateway's citizen registration asks whether NIK + No. KK + name +
  birth date match the register (answer: match / no match, nothing else).
* **Applications**: KK, KTP-el, KIA, akta kelahiran/kematian, surat pindah/kedatangan, biodata
  changes; officers verify, return or reject, process; the head of Dinas signs. All free.
* **Uploads** (`/v1/uploads`): citizens upload scans (PDF, JPEG or PNG, decided by the content)
  and attach them to an application; the officers of its area may then read them (logged).
* **Documents**: issued documents carry a number and a QR code; anyone can verify them.

Applications also appear in the citizen's unified request list of the gateway.
"""


def create_app(settings: DilandacintaSettings | None = None) -> FastAPI:
    """Build the DILANDACINTA service (nothing connects before the lifespan starts)."""
    settings = settings or DilandacintaSettings()
    document_lookups(
        register_router, applications_router, catalogue, documents_router, uploads_router
    )
    app = create_service_app(
        settings,
        title="DILANDACINTA - administrasi kependudukan",
        description=DESCRIPTION,
        agency=AGENCY,
        routers=[
            register_router,
            applications_router,
            documents_router,
            uploads_router,
            catalogue_router(CATALOGUE),
        ],
        # Only the upload endpoint takes bodies above max_body_bytes.
        body_limits={("POST", UPLOADS_PATH): upload_body_limit(settings.upload_max_bytes)},
    )
    install_local_storage(app, settings.upload_dir)
    return document_problems(app)
