"""CometChat's list envelope: a page of ``data`` plus ``meta.pagination``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from .validation import query_int


def page_response(request: Request, items: Sequence[dict[str, Any]]) -> JSONResponse:
    per_page = query_int(request, "perPage", 100, maximum=1000)
    page = query_int(request, "page", 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    pagination = {
        "total": len(items),
        "count": len(chunk),
        "per_page": per_page,
        "current_page": page,
        "total_pages": max(1, -(-len(items) // per_page)),
    }
    return JSONResponse({"data": list(chunk), "meta": {"pagination": pagination}})
