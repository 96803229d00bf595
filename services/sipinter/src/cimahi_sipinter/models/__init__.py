"""Every SIPINTER model, imported in one place so Alembic and the app see the full metadata."""

from cimahi_sipinter.models.applications import Application, ApplicationCounter, ApplicationHistory
from cimahi_sipinter.models.audit import AccessAudit
from cimahi_sipinter.models.businesses import Business, BusinessOwner
from cimahi_sipinter.models.permits import (
    LevyPayment,
    Permit,
    PermitCounter,
    PermitReminder,
)
from cimahi_sipinter.models.uploads import Upload

__all__ = [
    "AccessAudit",
    "Application",
    "ApplicationCounter",
    "ApplicationHistory",
    "Business",
    "BusinessOwner",
    "LevyPayment",
    "Permit",
    "PermitCounter",
    "PermitReminder",
    "Upload",
]
