"""The ASGI app: /health, /api (OpenAPI at /api/openapi.json, docs at /api/docs), the console."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from continuity.errors import ContinuityError
from continuity.web import (
    api_activity,
    api_nodes,
    api_settings,
    console_activity,
    console_lines,
    console_login,
    console_nodes,
    console_settings,
)
from continuity.web.backend import Backend
from continuity.web.errors import field_of, status_of
from continuity.web.ratelimit import LoginLimiter

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
#: Swagger UI 5 (reads OpenAPI 3.1) as fastapi-offline ships it: served from here, no CDN.
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
#: The console runs no inline script and loads nothing from elsewhere.
CSP = (
    "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
#: Swagger UI starts itself with an inline script; only its page allows that.
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
)


#: What a 422 carries: one entry per wrong field.
VALIDATION_ERROR: dict[str, Any] = {
    "title": "HTTPValidationError",
    "type": "object",
    "properties": {
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string", "description": "e.g. destination.target"},
                    "message": {"type": "string", "description": "what is wrong, how to fix"},
                },
                "required": ["field", "message"],
            },
        }
    },
    "required": ["detail"],
}


def create_app(backend: Backend) -> FastAPI:
    app = FastAPI(
        title="Call continuity for Asterisk",
        description="Every resource needs `Authorization: Bearer <token>` "
        "(`continuity token create --name N --role admin|viewer`). Lists take `limit` and "
        "`offset` and return `{items, total}`. Writes may send `If-Match` with the ETag "
        "read: a stale one gets 412.",
        version="1",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.backend = backend
    app.state.test_calls = {}
    app.state.flashes = {}
    app.state.login_limiter = LoginLimiter()
    app.include_router(api_settings.router)
    app.include_router(api_activity.router)
    app.include_router(api_nodes.router)
    for module in (console_login, console_settings, console_lines, console_activity, console_nodes):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount(
        "/api/docs/assets",
        StaticFiles(directory=DOCS_ASSETS),
        name="docs-assets",
    )

    @app.get("/health", tags=["health"], summary="Liveness; the only unauthenticated resource")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="Call continuity API",
            swagger_js_url="/api/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/api/docs/assets/swagger-ui.css",
            swagger_favicon_url="/api/docs/assets/favicon.png",
        )

    def openapi() -> dict[str, Any]:
        """FastAPI's document, with the 422 body this app really sends."""
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            schema["components"]["schemas"]["HTTPValidationError"] = VALIDATION_ERROR
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ())[1:]) or "body",
                "message": e.get("msg", "invalid"),
            }
            for e in exc.errors()
        ]
        return JSONResponse({"detail": problems}, status_code=422)

    @app.exception_handler(ContinuityError)
    async def domain(request: Request, exc: ContinuityError) -> Response:
        status = status_of(exc)
        body: dict[str, Any] = {"detail": str(exc)}
        if status == 422:
            message = getattr(exc, "message", None) or str(exc)
            body = {"detail": [{"field": field_of(exc), "message": message}]}
        return JSONResponse(body, status_code=status)

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        docs_page = request.url.path == "/api/docs"
        response.headers.setdefault("Content-Security-Policy", DOCS_CSP if docs_page else CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith(("/static", "/api/docs")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app
