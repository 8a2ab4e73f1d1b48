"""Discovery: health, sign-in configuration, categories, search (signed in), the OpenAPI document."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api import caching
from chalicelib.api.answers import CategoryList, Health, SearchPage, SignInConfig
from chalicelib.api.http import route
from chalicelib.api.openapi import openapi_document
from chalicelib.api.schemas import OpenApiDocument
from chalicelib.config import get_settings
from chalicelib.domain.categories import CATEGORIES
from chalicelib.domain.search_query import SearchQuery, parse_search
from chalicelib.service import search

bp = Blueprint(__name__)


@route(bp, "/v1/health", "GET", "Liveness", auth=False, response=Health)
def health():
    return Health(status="ok").model_dump()


@route(bp, "/v1/config", "GET", "How a client signs in", auth=False, response=SignInConfig,
       cache=caching.STATIC)
def config():
    settings = get_settings()
    local = {"aws_endpoint_url": settings.aws_endpoint_url} if settings.stage == "local" else {}
    return SignInConfig(region=settings.aws_region, user_pool_id=settings.user_pool_id,
                        user_pool_client_id=settings.user_pool_client_id, **local).model_dump(exclude_unset=True)


@route(bp, "/v1/categories", "GET", "Service categories", auth=False, response=CategoryList,
       cache=caching.STATIC)
def categories():
    return CategoryList(categories=[{"id": key, "name": name} for key, name in CATEGORIES.items()]).model_dump()


@route(bp, "/v1/search", "GET", "Find providers by category, words, place and free day", query=SearchQuery,
       response=SearchPage)
def search_providers(caller):
    return search.search_providers(parse_search(dict(bp.current_request.query_params or {})))


@route(bp, "/v1/openapi.json", "GET", "This API as OpenAPI 3.1", auth=False, response=OpenApiDocument,
       cache=caching.STATIC)
def openapi():
    return openapi_document()
