"""LAKAMI's declarative base (its own database; plumbing tables come from cimahi_shared)."""

from __future__ import annotations

from cimahi_shared.db import new_metadata
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Base of every LAKAMI model."""

    metadata = new_metadata()
