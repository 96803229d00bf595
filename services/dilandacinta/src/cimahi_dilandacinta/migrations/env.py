"""Alembic environment of DILANDACINTA (version table ``dilandacinta_alembic_version``)."""

from cimahi_dilandacinta import models  # noqa: F401 - registers every model on Base.metadata
from cimahi_dilandacinta.db import Base
from cimahi_shared.events.tables import plumbing_metadata
from cimahi_shared.migrations import run_env

run_env([Base.metadata, plumbing_metadata])
