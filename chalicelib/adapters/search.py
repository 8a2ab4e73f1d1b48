"""The search index on OpenSearch: the mapping, versioned writes, the query, and rebuilding behind an alias.

Amazon OpenSearch Service in AWS (requests signed with SigV4); locally and in tests an
OpenSearch-compatible engine on loopback, through the same client and the same requests.
Readers use the alias `<index>`; while a rebuild runs, `<index>-next` names the index being built, and
every write goes to both, so nothing committed during a rebuild is missing from the new index.
"""
from __future__ import annotations

import struct
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, Tuple

from chalicelib.config import get_settings
from chalicelib.domain.errors import TryAgain

if TYPE_CHECKING:  # only the API's searches pass one; the indexing functions never load pydantic for it
    from chalicelib.domain.search_query import SearchQuery

MAPPING: Dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "provider_id": {"type": "keyword"},
        "name": {"type": "text", "analyzer": "english"},
        "description": {"type": "text", "analyzer": "english"},
        "service_names": {"type": "text", "analyzer": "english"},
        "categories": {"type": "keyword"},
        "location": {"type": "geo_point"},
        "address": {"type": "keyword", "index": False},
        "timezone": {"type": "keyword"},
        "rating": {"type": "float"},
        "review_count": {"type": "integer"},
        "rating_rank": {"type": "float"},
        "rating_sort": {"type": "float"},
        "min_notice_minutes": {"type": "integer"},
        "free_days": {"type": "keyword"},
        "first_day_starts": {"type": "date"},
        "second_day_start": {"type": "date"},
        "next_available": {"type": "date"},
        "stale_after": {"type": "date"},
        "indexed_at": {"type": "date"},
    },
}
INDEX_SETTINGS = {"number_of_shards": 1, "refresh_interval": "1s"}
TEXT_FIELDS = ["name^3", "service_names^2", "description"]
# The writes of one write_documents() call go in one bulk request (the caller sizes its batch; the client
# library would split it every 500), split only to stay within the smallest request size Amazon
# OpenSearch Service takes (10 MiB).
BULK_MAX_BYTES = 10 * 1024 * 1024

_lock = threading.Lock()
_client: Any = None


class SearchUnavailable(TryAgain):
    """The search engine did not answer."""

    default_message = "search is unavailable for a moment; try again"


def client() -> Any:
    """The process's OpenSearch client, built on first use (signed with SigV4 outside the local stage)."""
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                _client = _build()
    return _client


def _build() -> Any:
    from opensearchpy import OpenSearch, Urllib3HttpConnection

    settings = get_settings()
    if not settings.search_endpoint:
        raise SearchUnavailable("search is not configured in this stage (SEARCH_ENDPOINT is not set)")
    options: Dict[str, Any] = dict(hosts=[settings.search_endpoint], connection_class=Urllib3HttpConnection,
                                   timeout=settings.search_timeout_seconds, max_retries=2, retry_on_timeout=True,
                                   http_compress=False)
    if settings.search_endpoint.startswith("https://") and not settings.aws_endpoint_url:
        from botocore.session import get_session
        from opensearchpy import Urllib3AWSV4SignerAuth

        credentials = get_session().get_credentials()
        options["http_auth"] = Urllib3AWSV4SignerAuth(credentials, settings.aws_region, "es")
    return OpenSearch(**options)


def reset() -> None:
    """Forget the client (tests that change the settings)."""
    global _client
    with _lock:
        _client = None


def alias() -> str:
    """The alias readers search."""
    return get_settings().search_index


def _next_alias() -> str:
    return f"{alias()}-next"


def _errors():
    from opensearchpy import exceptions

    return exceptions


def _unavailable(error: Exception) -> SearchUnavailable:
    return SearchUnavailable(f"search is unavailable for a moment ({type(error).__name__}); try again")


def _call(function, *args, **kwargs):
    errors = _errors()
    try:
        return function(*args, **kwargs)
    except (errors.ConnectionError, errors.ConnectionTimeout) as error:
        raise _unavailable(error) from error
    except errors.TransportError as error:
        if isinstance(error.status_code, int) and error.status_code in (429, 502, 503, 504):
            raise _unavailable(error) from error
        raise


# --- indices and the alias ------------------------------------------------------------------------

def create_index(name: str) -> None:
    """Create an empty index with the mapping."""
    _call(client().indices.create, index=name, body={"settings": INDEX_SETTINGS, "mappings": MAPPING})


def indices_of(name: str) -> List[str]:
    """The indices an alias points to (none when it does not exist)."""
    found = _call(client().indices.get_alias, name=name, ignore=[404])
    return [] if "error" in found and "status" in found else sorted(found)


def write_targets() -> List[str]:
    """Every index a document change must reach: the live one and any being rebuilt."""
    return sorted(set(indices_of(alias())) | set(indices_of(_next_alias())))


def ensure_index() -> str:
    """The live index, created (with its alias) when there is none yet."""
    live = indices_of(alias())
    if live:
        return live[0]
    name = new_index_name()
    create_index(name)
    _call(client().indices.update_aliases, body={"actions": [{"add": {"index": name, "alias": alias()}}]})
    return name


def new_index_name() -> str:
    """A fresh, time-ordered index name under the alias."""
    return f"{alias()}-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}-{time.time_ns() % 1_000_000:06d}"


def begin_rebuild() -> str:
    """Create a new index and name it the one being built, so that writes reach it from now on."""
    name = new_index_name()
    create_index(name)
    actions = [{"remove": {"index": old, "alias": _next_alias()}} for old in indices_of(_next_alias())]
    actions.append({"add": {"index": name, "alias": _next_alias()}})
    _call(client().indices.update_aliases, body={"actions": actions})
    return name


def finish_rebuild(name: str) -> List[str]:
    """Point the alias at the rebuilt index in one step; drop the old indices. Returns the dropped ones."""
    old = [index for index in indices_of(alias()) if index != name]
    actions = [{"remove": {"index": index, "alias": alias()}} for index in old]
    actions += [{"add": {"index": name, "alias": alias()}}, {"remove": {"index": name, "alias": _next_alias()}}]
    _call(client().indices.update_aliases, body={"actions": actions})
    for index in old:
        _call(client().indices.delete, index=index, ignore_unavailable=True)
    return old


def refresh() -> None:
    """Make every write so far searchable now (tests and benchmarks; the engine does it each second)."""
    _call(client().indices.refresh, index=",".join(write_targets()) or alias())


# --- documents -----------------------------------------------------------------------------------

def write_documents(changes: Sequence[Tuple[str, Optional[Dict[str, Any]], int]],
                    targets: Optional[Sequence[str]] = None) -> int:
    """Put (or, for None, delete) each provider's document at its version in every target index.

    The version is external: the engine keeps a document only if its version is higher than the one it
    has, so a late or repeated write never replaces a newer document. Returns how many were kept.
    """
    from opensearchpy import helpers

    targets = list(targets if targets is not None else write_targets()) or [ensure_index()]
    actions = []
    for index in targets:
        for provider_id, document, version in changes:
            action = {"_index": index, "_id": provider_id, "_version": version, "_version_type": "external"}
            if document is None:
                action["_op_type"] = "delete"
            else:
                action["_source"] = document
            actions.append(action)
    if not actions:
        return 0
    kept, failed = _call(helpers.bulk, client(), actions, chunk_size=len(actions), max_chunk_bytes=BULK_MAX_BYTES,
                         raise_on_error=False, raise_on_exception=False, stats_only=False)
    real = [f for f in failed if not _superseded(f)]
    if real:
        raise RuntimeError(f"search index refused {len(real)} of {len(actions)} writes: {real[:3]}")
    return kept


def _superseded(failure: Dict[str, Any]) -> bool:
    """A write refused because the index holds that version or a newer one (or a delete of nothing)."""
    detail = next(iter(failure.values()), {})
    return detail.get("status") in (409, 404)


def stale_provider_ids(now: datetime, limit: int) -> List[str]:
    """Providers whose document may be out of date by the clock alone (its first free day has passed...)."""
    body = {"size": limit, "_source": False, "query": {"range": {"stale_after": {"lte": _instant(now)}}},
            "sort": [{"stale_after": "asc"}, {"provider_id": "asc"}]}
    found = _call(client().search, index=alias(), body=body)
    return [hit["_id"] for hit in found["hits"]["hits"]]


def count() -> int:
    """How many documents the live index holds."""
    return int(_call(client().count, index=alias())["count"])


def get_document(provider_id: str) -> Optional[Dict[str, Any]]:
    """One provider's document in the live index, with its version under `_version`; None if absent."""
    errors = _errors()
    try:
        found = _call(client().get, index=alias(), id=provider_id)
    except errors.NotFoundError:
        return None
    return {**found["_source"], "_version": found["_version"]}


def _instant(moment: datetime) -> str:
    from chalicelib.domain.timegrid import format_utc

    return format_utc(moment)


# --- searching -----------------------------------------------------------------------------------

def search_body(query: SearchQuery, after: Optional[List[Any]]) -> Dict[str, Any]:
    """The engine request of a search (see docs/search.md for the relevance formula)."""
    filters: List[Dict[str, Any]] = []
    if query.category:
        filters.append({"term": {"categories": query.category}})
    if query.available_on:
        filters.append({"term": {"free_days": query.available_on.isoformat()}})
    origin = {"lat": query.lat, "lon": query.lon} if query.located else None
    if origin:
        filters.append({"geo_distance": {"distance": f"{query.radius:g}km", "location": origin}})
    # Without words every match scores 1, so relevance is distance and rating alone (filters score 0).
    words = {"multi_match": {"query": query.q, "fields": TEXT_FIELDS, "type": "best_fields", "tie_breaker": 0.3}}
    matched: Dict[str, Any] = {"bool": {"filter": filters, "must": [words if query.q else {"match_all": {}}]}}
    if query.sort == "distance":
        sort: List[Any] = [{"_geo_distance": {"location": origin, "order": "asc", "unit": "km"}}]
        scored = matched
    elif query.sort == "rating":
        sort = [{"rating_sort": {"order": "desc"}}, {"review_count": {"order": "desc"}}]
        scored = matched
    else:
        functions: List[Dict[str, Any]] = [
            {"field_value_factor": {"field": "rating_rank", "missing": 0.85, "modifier": "none"}}]
        if origin:
            functions.append({"gauss": {"location": {
                "origin": origin, "offset": "1km", "scale": f"{query.decay_scale_km:g}km", "decay": 0.5}}})
        scored = {"function_score": {"query": matched, "functions": functions, "score_mode": "multiply",
                                     "boost_mode": "multiply"}}
        sort = [{"_score": {"order": "desc"}}]
    sort.append({"provider_id": {"order": "asc"}})
    body: Dict[str, Any] = {"size": query.limit + 1, "query": scored, "sort": sort, "track_total_hits": False}
    if after:
        body["search_after"] = after
    return body


def search(query: SearchQuery, after: Optional[List[Any]]) -> Tuple[List[Dict[str, Any]], Optional[List[Any]]]:
    """One page of documents, and the sort values to continue after (None on the last page)."""
    errors = _errors()
    try:
        found = _call(client().search, index=alias(), body=search_body(query, after))
    except errors.NotFoundError:
        # No provider was ever indexed (a new stage before its first reindex): nothing to find.
        from chalicelib.observability import logger

        logger.warning("Search index missing", alias=alias())
        return [], None
    except errors.RequestError as error:
        # A cursor's values that do not fit the sort (a hand-made cursor); ours always do.
        from chalicelib.domain.errors import NotOurCursor

        if after:
            raise NotOurCursor() from error
        raise
    hits = found["hits"]["hits"]
    page, more = hits[:query.limit], len(hits) > query.limit
    return [hit["_source"] for hit in page], (_continue_after(query, page[-1]["sort"]) if more and page else None)


def _continue_after(query: SearchQuery, values: List[Any]) -> List[Any]:
    """The sort values of the last hit, as the engine must be given them back to continue after it.

    Scores and float fields are 32-bit floats in the engine, sent as their shortest decimal: that decimal,
    read back as a 64-bit float, is not the engine's value, and the next page would skip or repeat hits.
    The 32-bit value widened exactly to 64 bits is.
    """
    if query.sort == "distance":  # distances are 64-bit already
        return list(values)
    return [_widened(value) if isinstance(value, float) else value for value in values]


def _widened(value: float) -> float:
    return struct.unpack("f", struct.pack("f", value))[0]


def iter_documents(batch: int = 1000) -> Iterator[Dict[str, Any]]:
    """Every document of the live index (checks and benchmarks), in provider order."""
    after = None
    while True:
        body: Dict[str, Any] = {"size": batch, "query": {"match_all": {}}, "sort": [{"provider_id": "asc"}]}
        if after:
            body["search_after"] = after
        hits = _call(client().search, index=alias(), body=body)["hits"]["hits"]
        if not hits:
            return
        for hit in hits:
            yield hit["_source"]
        after = hits[-1]["sort"]
