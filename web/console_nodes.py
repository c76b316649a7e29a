"""The console's nodes page: every pbx node, its health, and the leader."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from continuity.access.service import Session
from continuity.web.api_nodes import nodes
from continuity.web.auth import backend
from continuity.web.console_base import page_response

router = APIRouter(include_in_schema=False)


async def nodes_context(request: Request, session: Session) -> dict[str, Any]:
    be = backend(request)
    return {"title": "Nodes", **await nodes(be), "heartbeat": be.heartbeat_interval}


@router.get("/nodes")
async def nodes_page(request: Request) -> Response:
    return await page_response(request, "nodes.html", nodes_context)


__all__ = ["router"]
