"""E-PBB's access log (UU PDP): who read whose tax data, when and why.

Every read of a taxpayer's data (an object, its bills, a receipt, a request) by an officer or an
admin is one ``access_audit`` row naming the NOP, staged in the same transaction as the read
(``log_reads(session, principal, resource=..., refs=[(nop, ref)], ...)``); the taxpayer's own
reads are not logged. The builder is ``cimahi_shared.access_log``.
"""

from __future__ import annotations

from cimahi_epbb.models import AccessAudit
from cimahi_shared.access_log import AccessLog, purpose_header

DEFAULT_PURPOSE = "Pelayanan PBB-P2 (tugas pelayanan publik Bapenda)"

PurposeHeader = purpose_header(
    "Why the taxpayer's data is read (kept in the access log); officers and admins"
)

log_reads = AccessLog(AccessAudit, subject="nop").log_reads
