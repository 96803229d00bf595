"""Who may see and act on which letter requests (used by letters and by their uploads).

Kelurahan officers (``area`` = kelurahan code, 4 parts) see their kelurahan's requests at either
level and act on those at level ``kelurahan``; kecamatan officers (``area`` = kecamatan code,
3 parts) see and act on their kecamatan's requests that reached level ``kecamatan``; citizens see
their own; admins see all. Anything else is hidden (the same 404 as a missing request).
"""

from __future__ import annotations

from dataclasses import dataclass

from cimahi_lakami.auth import is_lakami_officer
from cimahi_lakami.letters.workflow import Level
from cimahi_shared.auth import Principal
from cimahi_shared.errors import Forbidden


@dataclass(frozen=True, slots=True)
class Scope:
    """The requests a caller may see (None: no limit on that column) and the level it acts at."""

    owner_sub: str | None = None
    kelurahan_code: str | None = None
    kecamatan_code: str | None = None
    level: Level | None = None
    acts_at: Level | None = None

    def sees(self, *, owner_sub: str, kelurahan_code: str, kecamatan_code: str, level: str) -> bool:
        """Whether a request with these values is in the scope."""
        return (
            (self.owner_sub is None or owner_sub == self.owner_sub)
            and (self.kelurahan_code is None or kelurahan_code == self.kelurahan_code)
            and (self.kecamatan_code is None or kecamatan_code == self.kecamatan_code)
            and (self.level is None or level == self.level.value)
        )


def scope_of(principal: Principal) -> Scope | None:
    """The caller's scope, or None when letter requests are not for them at all."""
    if principal.is_admin:
        return Scope()
    if is_lakami_officer(principal):
        area = principal.area or ""
        parts = area.split(".")
        if len(parts) == 4 and all(parts):
            return Scope(kelurahan_code=area, acts_at=Level.KELURAHAN)
        if len(parts) == 3 and all(parts):
            return Scope(kecamatan_code=area, level=Level.KECAMATAN, acts_at=Level.KECAMATAN)
        return None
    if principal.is_citizen:
        return Scope(owner_sub=principal.sub)
    return None


def require_scope(principal: Principal) -> Scope:
    """``scope_of``, or 403 for callers without one."""
    scope = scope_of(principal)
    if scope is not None:
        return scope
    if is_lakami_officer(principal):
        raise Forbidden("Your account has no kelurahan or kecamatan assigned.")
    raise Forbidden("Letter requests are not available to your role.")
