"""Alembic environment of the gateway (version table ``gateway_alembic_version``)."""

from cimahi_gateway import models  # noqa: F401 - registers every model on Base.metadata
from cimahi_gateway.db import Base
from cimahi_shared.events.tables import plumbing_metadata
from cimahi_shared.migrations import run_env

run_env([Base.metadata, plumbing_metadata])
