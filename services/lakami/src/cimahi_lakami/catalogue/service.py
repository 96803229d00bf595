"""Catalogue rules: publishing letter types and checking a request's type-specific fields."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_lakami.catalogue import repository
from cimahi_lakami.catalogue.schemas import FieldSpec, LetterTypeRead
from cimahi_lakami.catalogue.standards import STANDARDS
from cimahi_lakami.models import LetterType
from cimahi_shared.errors import NotFound

_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class CatalogueSync:
    """What a sync changed, by letter type code."""

    created: list[str]
    updated: list[str]
    unchanged: list[str]
    withdrawn: list[str]


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
    """Write the standards of ``standards.py`` into the table; return how many are offered."""
    await publish_standards(session, standards=STANDARDS)
    return len(STANDARDS)


async def publish_standards(
    session: AsyncSession, *, standards: Sequence[LetterTypeRead]
) -> CatalogueSync:
    """Make ``letter_types`` match ``standards`` (idempotent; never deletes a row).

    New types are inserted, changed ones updated, types no longer listed withdrawn; rows that
    already match are not written.
    """
    outcome: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
    for standard in standards:
        values = {**standard.model_dump(mode="json"), "active": True}
        outcome[await repository.upsert_letter_type(session, values)].append(standard.code)
    withdrawn = await repository.withdraw_other_letter_types(session, [s.code for s in standards])
    return CatalogueSync(**outcome, withdrawn=withdrawn)


def check_fields(
    specs: Sequence[dict[str, Any]], values: dict[str, Any], *, today: date
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Validate ``fields`` against a letter type's specs: (normalised values, field errors).

    Errors name the field as ``fields.<code>``, inside lists ``fields.<code>[<index>].<code>``
    (index from 0).
    """
    errors: list[dict[str, Any]] = []
    parsed = [FieldSpec.model_validate(spec) for spec in specs]
    clean = _check_group(parsed, values, path="fields", today=today, errors=errors)
    return clean, errors


def _check_group(
    specs: Sequence[FieldSpec],
    values: dict[str, Any],
    *,
    path: str,
    today: date,
    errors: list[dict[str, Any]],
) -> dict[str, Any]:
    known = {spec.code: spec for spec in specs}
    for key in values:
        if key not in known:
            errors.append(_error(f"{path}.{key}", "Unknown field for this letter type."))
    clean: dict[str, Any] = {}
    for code, spec in known.items():
        where = f"{path}.{code}"
        raw = values.get(code)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if spec.required:
                errors.append(_error(where, f"{spec.label} is required."))
            continue
        if spec.type == "list":
            entries = _check_list(spec, raw, where=where, today=today, errors=errors)
            if entries is not None:
                clean[code] = entries
            continue
        try:
            clean[code] = _coerce(spec, raw, today=today)
        except ValueError as exc:
            errors.append(_error(where, str(exc)))
    for spec in specs:
        earliest = spec.not_before
        if earliest is None or spec.code not in clean or earliest not in clean:
            continue
        # Both are ISO dates (YYYY-MM-DD): string order is date order.
        if clean[spec.code] < clean[earliest]:
            errors.append(
                _error(
                    f"{path}.{spec.code}",
                    f"{spec.label} must not be before {known[earliest].label}.",
                )
            )
    return clean


def _check_list(
    spec: FieldSpec, raw: object, *, where: str, today: date, errors: list[dict[str, Any]]
) -> list[dict[str, Any]] | None:
    if not isinstance(raw, list):
        errors.append(_error(where, f"{spec.label} must be a list."))
        return None
    fewest = spec.min_items if spec.min_items is not None else (1 if spec.required else 0)
    most = spec.max_items or 0
    if len(raw) < fewest:
        errors.append(_error(where, f"{spec.label} needs at least {fewest} entries."))
        return None
    if len(raw) > most:
        errors.append(_error(where, f"{spec.label} may have at most {most} entries."))
        return None
    entries: list[dict[str, Any]] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            errors.append(_error(f"{where}[{index}]", "Each entry must be an object."))
            continue
        entries.append(
            _check_group(
                spec.item_fields or [],
                item,
                path=f"{where}[{index}]",
                today=today,
                errors=errors,
            )
        )
    return entries


def _error(field: str, message: str) -> dict[str, Any]:
    return {"field": field, "message": message, "in": "body"}


def _coerce(spec: FieldSpec, raw: object, *, today: date) -> object:
    match spec.type:
        case "string" | "text" | "singlevaluelist":
            return _text(spec, raw)
        case "date":
            return _date(spec, raw, today=today)
        case "time":
            return _time(spec, raw)
        case "boolean":
            if not isinstance(raw, bool):
                raise ValueError(f"{spec.label} must be true or false.")
            return raw
        case _:
            return _number(spec, raw)


def _text(spec: FieldSpec, raw: object) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"{spec.label} must be text.")
    value = " ".join(raw.split()) if spec.type != "text" else raw.strip()
    if spec.max_length is not None and len(value) > spec.max_length:
        raise ValueError(f"{spec.label} must be at most {spec.max_length} characters.")
    if spec.pattern is not None and re.fullmatch(spec.pattern, value) is None:
        hint = f" ({spec.description})" if spec.description else ""
        raise ValueError(f"{spec.label} does not have the expected format{hint}.")
    if spec.type == "singlevaluelist" and value not in (spec.choices or []):
        raise ValueError(f"{spec.label} must be one of: {', '.join(spec.choices or [])}.")
    return value


def _date(spec: FieldSpec, raw: object, *, today: date) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"{spec.label} must be a date (YYYY-MM-DD).")
    try:
        parsed = date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{spec.label} must be a date (YYYY-MM-DD).") from None
    if spec.not_in_future and parsed > today:
        raise ValueError(f"{spec.label} must not be in the future.")
    if spec.not_in_past and parsed < today:
        raise ValueError(f"{spec.label} must not be in the past.")
    return parsed.isoformat()


def _time(spec: FieldSpec, raw: object) -> str:
    match = _TIME.match(raw) if isinstance(raw, str) else None
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"{spec.label} must be a time of day (HH:MM, 00:00-23:59).")
    return f"{int(match[1]):02d}:{match[2]}"


def _number(spec: FieldSpec, raw: object) -> int | float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise ValueError(f"{spec.label} must be a number.")
    value: int | float = raw
    if spec.type == "integer":
        if isinstance(raw, float) and not raw.is_integer():
            raise ValueError(f"{spec.label} must be a whole number.")
        value = int(raw)
    if spec.minimum is not None and value < spec.minimum:
        raise ValueError(f"{spec.label} must be at least {spec.minimum:g}.")
    if spec.maximum is not None and value > spec.maximum:
        raise ValueError(f"{spec.label} must be at most {spec.maximum:g}.")
    return value
