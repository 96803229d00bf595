"""Permit applications: the applicant's side (drafts, submission, resubmission, withdrawal),
reads and the officers' queue, and the workflow core every step goes through."""
