"""Building responses from application rows (NIKs only masked)."""

from __future__ import annotations

from cimahi_dilandacinta.applications.schemas import (
    ApplicationRead,
    AttachmentRead,
    HistoryRead,
)
from cimahi_dilandacinta.applications.service import Detail, title_of
from cimahi_dilandacinta.events.applications import unified_status


def application_read(detail: Detail, *, with_history: bool = True) -> ApplicationRead:
    """The response body of one application."""
    app = detail.application
    return ApplicationRead(
        tracking_no=app.tracking_no,
        type=app.type_code,
        title=title_of(app),
        status=app.status,
        unified_status=unified_status(app.status).value,
        applicant_name=app.applicant_name,
        applicant_nik_masked=app.applicant_nik_masked,
        subject_nik_masked=app.subject_nik_masked,
        people_nik_masked=list(app.people_masked or []),
        kelurahan_code=app.kelurahan_code,
        fields=app.fields,
        needs_head_decision=app.needs_head_decision,
        missing_items=app.missing_items,
        submitted_at=app.submitted_at,
        updated_at=app.updated_at,
        due_at=app.due_at,
        overdue=detail.overdue,
        document_id=app.document_id,
        attachments=[
            AttachmentRead(
                upload_id=u.id,
                requirement=u.requirement,
                content_type=u.content_type,
                size_bytes=u.size_bytes,
            )
            for u in detail.attachments
        ],
        history=[
            HistoryRead(
                sequence=h.sequence,
                action=h.action,
                from_status=h.from_status,
                to_status=h.to_status,
                actor_role=h.actor_role,
                note=h.note,
                occurred_at=h.occurred_at,
            )
            for h in app.history
        ]
        if with_history
        else [],
    )
