"""The LAKAMI application (``uvicorn cimahi_lakami.main:create_app --factory``)."""

from __future__ import annotations

from fastapi import FastAPI

from cimahi_lakami.auth import AGENCY
from cimahi_lakami.catalogue.router import router as catalogue_router
from cimahi_lakami.complaints.router import admin_router as complaints_admin_router
from cimahi_lakami.complaints.router import public_router as complaints_public_router
from cimahi_lakami.complaints.router import router as complaints_router
from cimahi_lakami.config import LakamiSettings
from cimahi_lakami.letters.router import router as letters_router
from cimahi_lakami.open311.router import install_open311_errors
from cimahi_lakami.open311.router import router as open311_router
from cimahi_lakami.uploads.router import MULTIPART_OVERHEAD
from cimahi_lakami.uploads.router import PATH as UPLOADS_PATH
from cimahi_lakami.uploads.router import router as uploads_router
from cimahi_lakami.uploads.storage import LocalUploadStorage
from cimahi_shared.app import create_service_app

DESCRIPTION = """Kelurahan letters (surat keterangan/pengantar) of Kota Cimahi, run by Diskominfo.

Citizens submit requests and follow them; the officers of each kelurahan verify, process and
approve, reject or return them. The catalogue under `/v1/public/` needs no token.
"""


def create_app(settings: LakamiSettings | None = None) -> FastAPI:
    """Build the LAKAMI service (nothing connects before the lifespan starts)."""
    settings = settings or LakamiSettings()
    app = create_service_app(
        settings,
        title="LAKAMI - surat keterangan kelurahan",
        description=DESCRIPTION,
        agency=AGENCY,
        routers=[catalogue_router, letters_router, uploads_router],
        # Only the upload endpoint takes bodies above max_body_bytes.
        body_limits={("POST", UPLOADS_PATH): settings.upload_max_bytes + MULTIPART_OVERHEAD},
    )
    app.state.upload_storage = LocalUploadStorage(settings.upload_dir)
    for router in (
        complaints_public_router,
        complaints_router,
        complaints_admin_router,
        open311_router,
    ):
        app.include_router(router)
    install_open311_errors(app)
    return app
