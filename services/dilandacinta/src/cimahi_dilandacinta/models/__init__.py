"""Every DILANDACINTA model, imported in one place so Alembic and the app see the full metadata."""

from cimahi_dilandacinta.models.applications import Application, ApplicationHistory
from cimahi_dilandacinta.models.audit import AccessAudit, IdentityMatchAudit
from cimahi_dilandacinta.models.documents import Document, DocumentNumberCounter
from cimahi_dilandacinta.models.register import Family, KkSerial, NikSerial, Person
from cimahi_dilandacinta.models.uploads import Upload

__all__ = [
    "AccessAudit",
    "Application",
    "ApplicationHistory",
    "Document",
    "DocumentNumberCounter",
    "Family",
    "IdentityMatchAudit",
    "KkSerial",
    "NikSerial",
    "Person",
    "Upload",
]
