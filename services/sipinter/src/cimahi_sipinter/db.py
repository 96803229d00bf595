"""SIPINTER's declarative base (its own database; plumbing tables come from cimahi_shared)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from cimahi_shared.db import new_metadata


class Base(DeclarativeBase):
    """Base of every SIPINTER model."""

    metadata = new_metadata()
