"""OpenAPI ``responses`` of the gateway's error answers, so its document tells the truth (issue 9).

Every error of the gateway's API is ``application/problem+json`` (``cimahi_shared.errors``);
``cimahi_shared.problem_docs`` adds the 401/403 of token routes and the problem+json 422. What
each route answers beyond that (404 for an unknown id, 409 for a refused state change) is listed
on the route with these entries.
"""

from __future__ import annotations

from typing import Any

from cimahi_shared.errors import PROBLEM_JSON


def problem(description: str) -> dict[str, Any]:
    """A ``responses`` entry: an RFC 9457 problem with this description."""
    return {"description": description, "content": {PROBLEM_JSON: {}}}


NOT_FOUND = problem("No such resource (or not yours)")
CONFLICT = problem("Not possible in the resource's current state")
