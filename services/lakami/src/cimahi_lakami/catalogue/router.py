"""Public catalogue endpoints (no token: the gateway lets ``/v1/public/`` through)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from cimahi_lakami.catalogue import service
from cimahi_lakami.catalogue.schemas import LetterTypeRead
from cimahi_lakami.models import LetterType
from cimahi_shared.app import SessionDep

router = APIRouter(prefix="/v1/public/letter-types", tags=["catalogue"])


@router.get("", response_model=list[LetterTypeRead])
async def list_letter_types(session: SessionDep) -> Sequence[LetterType]:
    """The letters a kelurahan issues, each with its service standard."""
    return await service.list_letter_types(session)


@router.get("/{code}", response_model=LetterTypeRead)
async def get_letter_type(code: str, session: SessionDep) -> LetterType:
    """One letter type: requirements, fields, procedure, time limit, fee, product, complaints."""
    return await service.get_letter_type(session, code=code)
