"""/api/nodes: every node sharing the database, its health, and which one leads."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from continuity.web import views
from continuity.web.api_settings import Reader
from continuity.web.auth import backend
from continuity.web.backend import Backend

router = APIRouter(prefix="/api")


async def nodes(be: Backend) -> dict[str, Any]:
    """``{items, total, leader}``; a node is healthy when heard from within three
    heartbeats. Where the nodes are not known (no registry) the list is empty."""
    found = list(await be.nodes()) if be.nodes is not None else []
    items = [views.node(n, be.heartbeat_interval) for n in found]
    leader = next((n.name for n in found if n.leads), None)
    return {"items": items, "total": len(items), "leader": leader}


@router.get(
    "/nodes",
    tags=["nodes"],
    summary="Every pbx node: its health (heartbeat) and which one leads",
)
async def list_nodes(request: Request, _: Reader) -> dict[str, Any]:
    return await nodes(backend(request))


__all__ = ["router"]
