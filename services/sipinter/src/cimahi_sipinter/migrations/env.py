"""Alembic environment of SIPINTER (version table ``sipinter_alembic_version``)."""

from cimahi_shared.events.tables import plumbing_metadata
from cimahi_shared.migrations import run_env
from cimahi_sipinter import models  # noqa: F401 - registers every model on Base.metadata
from cimahi_sipinter.db import Base

run_env([Base.metadata, plumbing_metadata])
