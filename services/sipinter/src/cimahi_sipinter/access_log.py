"""SIPINTER's access log (UU PDP): who read whose licensing data, when and why.

Every read of an applicant's data (a business, its owners, an application, a permit) by an
officer or an admin is one ``access_audit`` row naming the business, staged in the same
transaction as the read (``log_reads(session, principal, resource=..., refs=[(business_id,
ref)], ...)``); the applicant's own reads are not logged. The builder is
``cimahi_shared.access_log``.
"""

from __future__ import annotations

from cimahi_shared.access_log import AccessLog, purpose_header
from cimahi_sipinter.models import AccessAudit

DEFAULT_PURPOSE = "Pelayanan perizinan (tugas pelayanan publik DPMPTSP)"

PurposeHeader = purpose_header(
    "Why the applicant's data is read (kept in the access log); officers and admins"
)

log_reads = AccessLog(AccessAudit, subject="business_id").log_reads
