"""The HTTP side of uploads: the storage dependency, the download response, the body limit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request, Response

from cimahi_shared.uploads.columns import UploadColumns
from cimahi_shared.uploads.content import EXTENSIONS
from cimahi_shared.uploads.storage import LocalUploadStorage, UploadStorage

# Room for the multipart envelope (boundaries, part headers, the purpose field) around the file.
MULTIPART_OVERHEAD = 64 * 1024

# The OpenAPI description of a download's 200 response.
CONTENT_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {media_type: {} for media_type in EXTENSIONS}}
}


def upload_body_limit(max_file_bytes: int) -> int:
    """The request body limit of an upload endpoint taking files of up to ``max_file_bytes``."""
    return max_file_bytes + MULTIPART_OVERHEAD


def install_local_storage(app: FastAPI, directory: str) -> None:
    """Give the app its upload storage: files in ``directory`` (created on first upload)."""
    app.state.upload_storage = LocalUploadStorage(directory)


async def get_storage(request: Request) -> UploadStorage:
    """The app's upload storage (set by ``install_local_storage``)."""
    # ``async def``: FastAPI would run a plain ``def`` dependency in a worker thread.
    storage: UploadStorage = request.app.state.upload_storage
    return storage


StorageDep = Annotated[UploadStorage, Depends(get_storage)]


def content_response(upload: UploadColumns, data: bytes) -> Response:
    """The uploaded bytes as a download with the sniffed type, never rendered inline or cached."""
    return Response(
        content=data,
        media_type=upload.content_type,
        headers={
            "Content-Disposition": (
                f'attachment; filename="{upload.id}.{EXTENSIONS[upload.content_type]}"'
            ),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
