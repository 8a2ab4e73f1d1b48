"""Search: answering searches from the index (the index is kept by chalicelib/service/indexing.py)."""
from __future__ import annotations

from typing import Any, Dict

from chalicelib.domain.search import result_of
from chalicelib.domain.search_query import SearchQuery, decode_cursor, encode_cursor
from chalicelib.service import clock
from chalicelib.service.stores import search_index


def search_providers(query: SearchQuery) -> Dict[str, Any]:
    """One page of providers matching a search, with the cursor of the next."""
    documents, after = search_index.search(query, decode_cursor(query))
    now = clock.now()
    return {"results": [result_of(document, query, now) for document in documents],
            "next_cursor": encode_cursor(query, after) if after else None}
