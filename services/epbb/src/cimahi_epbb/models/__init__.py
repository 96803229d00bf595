"""Every E-PBB model, imported in one place so Alembic and the app see the full metadata."""

from cimahi_epbb.models.audit import AccessAudit
from cimahi_epbb.models.bills import Bill
from cimahi_epbb.models.objects import ObjectClaimAttempt, ObjectLink, TaxObject, TaxObjectChange
from cimahi_epbb.models.payments import (
    CallbackReplay,
    Payment,
    PaymentChannel,
    PaymentCode,
    PaymentCodeBill,
    Receipt,
    ReceiptCounter,
    Reconciliation,
)
from cimahi_epbb.models.requests import TaxpayerRequest, TaxpayerRequestHistory
from cimahi_epbb.models.rules import TaxYearRulesVersion

__all__ = [
    "AccessAudit",
    "Bill",
    "CallbackReplay",
    "ObjectClaimAttempt",
    "ObjectLink",
    "Payment",
    "PaymentChannel",
    "PaymentCode",
    "PaymentCodeBill",
    "Receipt",
    "ReceiptCounter",
    "Reconciliation",
    "TaxObject",
    "TaxObjectChange",
    "TaxYearRulesVersion",
    "TaxpayerRequest",
    "TaxpayerRequestHistory",
]
