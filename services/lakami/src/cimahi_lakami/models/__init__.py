"""Every LAKAMI model, imported in one place so Alembic and the app see the full metadata."""

from cimahi_lakami.models.audit import AccessAudit
from cimahi_lakami.models.catalogue import LetterType
from cimahi_lakami.models.complaints import Complaint, ComplaintHistory, Open311ApiKey
from cimahi_lakami.models.letters import (
    LetterNumberCounter,
    LetterRequest,
    LetterRequestHistory,
)
from cimahi_lakami.models.uploads import Upload

__all__ = [
    "AccessAudit",
    "Complaint",
    "ComplaintHistory",
    "LetterNumberCounter",
    "LetterRequest",
    "LetterRequestHistory",
    "LetterType",
    "Open311ApiKey",
    "Upload",
]
