"""Checking an application's typed ``fields`` against its service standard.

Every error names the field as ``fields.<code>``; unknown fields are refused (nothing unexpected
is stored next to the register data).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from cimahi_dilandacinta.catalogue.schemas import FieldSpec
from cimahi_shared.regions import kelurahan_codes


def check_fields(
    specs: Sequence[FieldSpec], values: dict[str, Any], *, today: date
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """(normalised values, 422 error entries) of ``values`` against ``specs``."""
    known = {spec.code: spec for spec in specs}
    errors = [_error(key, "Unknown field for this service.") for key in values if key not in known]
    clean: dict[str, Any] = {}
    for code, spec in known.items():
        raw = values.get(code)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if spec.required:
                errors.append(_error(code, f"{spec.label} is required."))
            continue
        try:
            clean[code] = coerce(spec, raw, today=today)
        except ValueError as exc:
            errors.append(_error(code, str(exc)))
    return clean, errors


def coerce(spec: FieldSpec, raw: object, *, today: date) -> Any:
    """The normalised value of one field, or ValueError with a message for the citizen."""
    if spec.type == "integer":
        return _integer(spec, raw)
    if not isinstance(raw, str):
        raise ValueError(f"{spec.label} must be text.")
    value = " ".join(raw.split())
    if spec.type == "date":
        return _date(spec, value, today=today)
    if spec.type == "enum":
        if value not in (spec.choices or []):
            raise ValueError(f"{spec.label} must be one of: {', '.join(spec.choices or [])}.")
        return value
    if spec.type == "kelurahan":
        if value not in kelurahan_codes():
            raise ValueError(f"{spec.label} must be a kelurahan code of Kota Cimahi.")
        return value
    if spec.max_length is not None and len(value) > spec.max_length:
        raise ValueError(f"{spec.label} must be at most {spec.max_length} characters.")
    if spec.pattern is not None and not re.fullmatch(spec.pattern, value):
        raise ValueError(f"{spec.label} has the wrong format.")
    return value


def _integer(spec: FieldSpec, raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ValueError(f"{spec.label} must be a whole number.")
    try:
        number = int(raw)
    except ValueError:
        raise ValueError(f"{spec.label} must be a whole number.") from None
    if spec.minimum is not None and number < spec.minimum:
        raise ValueError(f"{spec.label} must be at least {spec.minimum}.")
    if spec.maximum is not None and number > spec.maximum:
        raise ValueError(f"{spec.label} must be at most {spec.maximum}.")
    return number


def _date(spec: FieldSpec, value: str, *, today: date) -> str:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{spec.label} must be a date (YYYY-MM-DD).") from None
    if spec.not_in_future and day > today:
        raise ValueError(f"{spec.label} must not be in the future.")
    return day.isoformat()


def _error(code: str, message: str) -> dict[str, str]:
    return {"field": f"fields.{code}", "message": message, "in": "body"}
