"""Routes anyone may call: health, sign-in configuration, categories, the OpenAPI document."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import route
from chalicelib.api.openapi import openapi_document
from chalicelib.config import get_settings
from chalicelib.domain.categories import CATEGORIES

bp = Blueprint(__name__)


@route(bp, "/v1/health", "GET", "Liveness", auth=False)
def health():
    return {"status": "ok"}


@route(bp, "/v1/config", "GET", "How a client signs in", auth=False)
def config():
    settings = get_settings()
    answer = {"region": settings.aws_region, "user_pool_id": settings.user_pool_id,
              "user_pool_client_id": settings.user_pool_client_id}
    if settings.stage == "local":
        answer["aws_endpoint_url"] = settings.aws_endpoint_url
    return answer


@route(bp, "/v1/categories", "GET", "Service categories", auth=False)
def categories():
    return {"categories": [{"id": key, "name": name} for key, name in CATEGORIES.items()]}


@route(bp, "/v1/openapi.json", "GET", "This API as OpenAPI 3.1", auth=False)
def openapi():
    return openapi_document()
