"""Catalogue rules: publishing letter types and checking a request's type-specific fields."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_lakami.catalogue import repository
from cimahi_lakami.catalogue.schemas import FieldSpec
from cimahi_lakami.catalogue.standards import STANDARDS
from cimahi_lakami.models import LetterType
from cimahi_shared.errors import NotFound


async def list_letter_types(session: AsyncSession) -> Sequence[LetterType]:
    """Every letter type citizens can request."""
    return await repository.list_active_letter_types(session)


async def get_letter_type(session: AsyncSession, *, code: str) -> LetterType:
    """One active letter type, or 404."""
    letter_type = await repository.get_letter_type(session, code)
    if letter_type is None or not letter_type.active:
        raise NotFound(f"There is no letter type {code!r}.")
    return letter_type


async def find_active_letter_type(session: AsyncSession, *, code: str) -> LetterType | None:
    """An active letter type, or None."""
    letter_type = await repository.get_letter_type(session, code)
    return letter_type if letter_type is not None and letter_type.active else None


async def sync_catalogue(session: AsyncSession) -> int:
    """Write the standards of ``standards.py`` into the table; withdraw types no longer listed."""
    for standard in STANDARDS:
        await repository.upsert_letter_type(
            session, {**standard.model_dump(mode="json"), "active": True}
        )
    await repository.deactivate_other_letter_types(session, [s.code for s in STANDARDS])
    return len(STANDARDS)


def check_fields(
    specs: Sequence[dict[str, Any]], values: dict[str, Any], *, today: date
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Validate ``fields`` against a letter type's specs: (normalised values, field errors)."""
    errors: list[dict[str, Any]] = []
    clean: dict[str, Any] = {}
    known = {spec["code"]: FieldSpec.model_validate(spec) for spec in specs}
    for key in values:
        if key not in known:
            errors.append(_error(key, "Unknown field for this letter type."))
    for code, spec in known.items():
        raw = values.get(code)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if spec.required:
                errors.append(_error(code, f"{spec.label} is required."))
            continue
        try:
            clean[code] = _coerce(spec, raw, today=today)
        except ValueError as exc:
            errors.append(_error(code, str(exc)))
    return clean, errors


def _error(code: str, message: str) -> dict[str, Any]:
    return {"field": f"fields.{code}", "message": message, "in": "body"}


def _coerce(spec: FieldSpec, raw: object, *, today: date) -> object:
    if spec.type in ("string", "text", "singlevaluelist"):
        if not isinstance(raw, str):
            raise ValueError(f"{spec.label} must be text.")
        value = " ".join(raw.split()) if spec.type != "text" else raw.strip()
        if spec.max_length is not None and len(value) > spec.max_length:
            raise ValueError(f"{spec.label} must be at most {spec.max_length} characters.")
        if spec.type == "singlevaluelist" and value not in (spec.choices or []):
            raise ValueError(f"{spec.label} must be one of: {', '.join(spec.choices or [])}.")
        return value
    if spec.type == "date":
        if not isinstance(raw, str):
            raise ValueError(f"{spec.label} must be a date (YYYY-MM-DD).")
        try:
            parsed = date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"{spec.label} must be a date (YYYY-MM-DD).") from None
        if spec.not_in_future and parsed > today:
            raise ValueError(f"{spec.label} must not be in the future.")
        return parsed.isoformat()
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise ValueError(f"{spec.label} must be a number.")
    if spec.minimum is not None and raw < spec.minimum:
        raise ValueError(f"{spec.label} must be at least {spec.minimum:g}.")
    if spec.maximum is not None and raw > spec.maximum:
        raise ValueError(f"{spec.label} must be at most {spec.maximum:g}.")
    return raw
