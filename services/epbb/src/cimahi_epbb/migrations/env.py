"""Alembic environment of E-PBB (version table ``epbb_alembic_version``)."""

from cimahi_epbb import models  # noqa: F401 - registers every model on Base.metadata
from cimahi_epbb.db import Base
from cimahi_shared.events.tables import plumbing_metadata
from cimahi_shared.migrations import run_env

run_env([Base.metadata, plumbing_metadata])
