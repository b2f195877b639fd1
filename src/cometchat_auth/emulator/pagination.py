"""CometChat's list envelope: a page of ``data`` plus ``meta.pagination``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from .validation import query_int


def page_response(
    request: Request, items: Sequence[dict[str, Any]], *, cursor: bool = False
) -> JSONResponse:
    """One page of ``items``; ``cursor`` adds the users list's top-level ``cursor`` ([SPEC])."""
    # The REST reference says perPage; the JS SDK's list requests send per_page.
    key = "per_page" if "per_page" in request.query_params else "perPage"
    per_page = query_int(request, key, 100, maximum=1000)
    page = query_int(request, "page", 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    pagination = {
        "total": len(items),
        "count": len(chunk),
        "per_page": per_page,
        "current_page": page,
        "total_pages": max(1, -(-len(items) // per_page)),
    }
    body: dict[str, Any] = {"data": list(chunk), "meta": {"pagination": pagination}}
    if cursor:
        # [SPEC] list-users example: the newest change seen, to fetch what came before it.
        stamps = [item.get("updatedAt") or item.get("createdAt") or 0 for item in chunk]
        body["cursor"] = {"updatedAt": max(stamps, default=0), "affix": "prepend"}
    return JSONResponse(body)
