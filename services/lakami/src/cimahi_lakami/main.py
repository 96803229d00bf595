"""The LAKAMI application (``uvicorn cimahi_lakami.main:create_app --factory``)."""

from __future__ import annotations

from fastapi import FastAPI

from cimahi_lakami.auth import AGENCY
from cimahi_lakami.catalogue.router import router as catalogue_router
from cimahi_lakami.complaints.router import admin_router as complaints_admin_router
from cimahi_lakami.complaints.router import public_router as complaints_public_router
from cimahi_lakami.complaints.router import router as complaints_router
from cimahi_lakami.config import LakamiSettings
from cimahi_lakami.events.catalogue import CATALOGUE
from cimahi_lakami.letters.router import router as letters_router
from cimahi_lakami.open311.router import install_open311_errors
from cimahi_lakami.open311.router import router as open311_router
from cimahi_lakami.uploads.router import PATH as UPLOADS_PATH
from cimahi_lakami.uploads.router import router as uploads_router
from cimahi_lakami.verification.router import public_router as verification_public_router
from cimahi_lakami.verification.router import router as verification_router
from cimahi_shared.app import create_service_app
from cimahi_shared.events.catalogue import catalogue_router as events_catalogue_router
from cimahi_shared.problem_docs import document_lookups, document_problems
from cimahi_shared.uploads.http import install_local_storage, upload_body_limit

DESCRIPTION = """LAKAMI of Kota Cimahi, run by Diskominfo: kelurahan/kecamatan letters and complaints.

* **Letters** (surat keterangan/pengantar): citizens request them and follow them; the officers
  of the kelurahan (and of the kecamatan for letters that need it) verify, process and approve,
  reject or return them. The catalogue of letter types is public under `/v1/public/`.
* **Uploads** (`/v1/uploads`): citizens upload PDF, JPEG or PNG files (type decided by the
  content) and attach them to a letter request or a complaint; the officers of that kelurahan may
  then read them.
* **Complaints** (pengaduan/aspirasi, `/v1/complaints`): filed by citizens, possibly anonymous or
  private; officers verify, answer, forward, decline as not their authority (naming who is) or
  archive them against the SP4N-LAPOR! deadlines; citizens add information, rate and reopen.
* **Open311 GeoReport v2** (`/open311/v2/`, JSON): public complaints for civic apps, which file
  new ones with an API key issued by an admin (`/v1/admin/open311-keys`).
* **Letter verification**: anyone can check an issued letter by its QR / verification code,
  without a token.

Letters and complaints also appear in the citizen's unified request list of the gateway.
"""


def create_app(settings: LakamiSettings | None = None) -> FastAPI:
    """Build the LAKAMI service (nothing connects before the lifespan starts)."""
    settings = settings or LakamiSettings()
    document_lookups(
        catalogue_router,
        letters_router,
        uploads_router,
        complaints_router,
        complaints_admin_router,
        verification_public_router,
        verification_router,
    )
    app = create_service_app(
        settings,
        title="LAKAMI - surat keterangan kelurahan",
        description=DESCRIPTION,
        agency=AGENCY,
        routers=[catalogue_router, letters_router, uploads_router],
        # Only the upload endpoint takes bodies above max_body_bytes.
        body_limits={("POST", UPLOADS_PATH): upload_body_limit(settings.upload_max_bytes)},
    )
    install_local_storage(app, settings.upload_dir)
    for router in (
        complaints_public_router,
        complaints_router,
        complaints_admin_router,
        open311_router,
        verification_public_router,
        verification_router,
        events_catalogue_router(CATALOGUE),
    ):
        app.include_router(router)
    install_open311_errors(app)
    return document_problems(app)
