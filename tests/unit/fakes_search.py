"""An in-memory fake of the search index (chalicelib/adapters/search.py), for unit tests of the services.

`FakeSearchIndex` has the function names and signatures the services call: `search`, `write_documents`,
`write_targets`, `begin_rebuild`, `finish_rebuild`, `stale_provider_ids` and `ensure_index`. Writes carry
external versions as the engine takes them: a document (or a delete) is kept only when its version is
higher than the one the index holds for that id, and a delete leaves its version behind (a tombstone), so a
late write of an older document never brings a deleted provider back. The engine forgets tombstones after
`index.gc_deletes` (60 s by default); this fake keeps them.

`search` is simple: filters as the engine's query does (category, free day, radius, every word somewhere
in the text fields) and the same sort values, with relevance reduced to the rating factor (no text score,
no distance decay). Enough to page through results with cursors; not a model of ranking.

Every call is recorded in `calls`; each write as (index, provider id, version, kept) in `writes`.
Providers named in `refuse` make `write_documents` raise, as the adapter does when the engine refuses a write.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from chalicelib.domain.search import distance_km, rating_rank
from chalicelib.domain.search_query import SearchQuery
from chalicelib.domain.timegrid import format_utc

ALIAS = "providers"


class FakeSearchIndex:
    """Indices by name, each {provider id: (version, document or None for a delete)}; an alias and a next alias."""

    def __init__(self) -> None:
        self.indices: Dict[str, Dict[str, Tuple[int, Optional[Dict[str, Any]]]]] = {}
        self.live: Optional[str] = None      # the index the alias points to
        self.building: Optional[str] = None  # the index the `-next` alias points to, while a rebuild runs
        self.calls: List[Tuple[str, Tuple[Any, ...]]] = []
        self.writes: List[Tuple[str, str, int, bool]] = []
        self.refuse: Set[str] = set()
        self.begun: List[str] = []  # the indices begin_rebuild made, in order
        self._created = 0

    # --- what tests look at -----------------------------------------------------------------------

    def documents(self, index: Optional[str] = None) -> Dict[str, Dict[str, Any]]:
        """The documents of an index (the live one by default), by provider id; deletes left out."""
        name = index or self.live
        held = self.indices.get(name, {}) if name else {}
        return {pid: document for pid, (_, document) in sorted(held.items()) if document is not None}

    def document(self, provider_id: str) -> Optional[Dict[str, Any]]:
        return self.documents().get(provider_id)

    def version(self, provider_id: str, index: Optional[str] = None) -> Optional[int]:
        """The version the index holds for the id (a tombstone's too); None when it never had one."""
        held = self.indices.get(index or self.live, {})
        return held[provider_id][0] if provider_id in held else None

    def called(self, name: str) -> List[Tuple[Any, ...]]:
        return [args for call, args in self.calls if call == name]

    # --- the adapter's functions ------------------------------------------------------------------

    def _new_index(self) -> str:
        self._created += 1
        name = f"{ALIAS}-{self._created:04d}"
        self.indices[name] = {}
        return name

    def ensure_index(self) -> str:
        self.calls.append(("ensure_index", ()))
        if self.live is None:
            self.live = self._new_index()
        return self.live

    def write_targets(self) -> List[str]:
        self.calls.append(("write_targets", ()))
        return sorted({name for name in (self.live, self.building) if name})

    def begin_rebuild(self) -> str:
        self.calls.append(("begin_rebuild", ()))
        self.building = self._new_index()
        self.begun.append(self.building)
        return self.building

    def finish_rebuild(self, name: str) -> List[str]:
        self.calls.append(("finish_rebuild", (name,)))
        old = [index for index in (self.live,) if index and index != name]
        self.live = name
        if self.building == name:
            self.building = None
        for index in old:
            del self.indices[index]
        return old

    def write_documents(self, changes: Sequence[Tuple[str, Optional[Dict[str, Any]], int]],
                        targets: Optional[Sequence[str]] = None) -> int:
        changes = list(changes)
        self.calls.append(("write_documents", (changes, targets)))
        refused = [pid for pid, _, _ in changes if pid in self.refuse]
        if refused:
            raise RuntimeError(f"search index refused the writes of {refused}")
        names = list(targets) if targets is not None else self.write_targets()
        names = names or [self.ensure_index()]
        kept = 0
        for name in names:
            held = self.indices[name]
            for provider_id, document, version in changes:
                current = held.get(provider_id)
                newer = current is None or version > current[0]
                if newer:
                    # A delete of nothing leaves its version too, but the engine answers 404: not counted.
                    existed = current is not None and current[1] is not None
                    held[provider_id] = (version, None if document is None else dict(document))
                    kept += 1 if document is not None or existed else 0
                self.writes.append((name, provider_id, version, newer))
        return kept

    def stale_provider_ids(self, now: datetime, limit: int) -> List[str]:
        self.calls.append(("stale_provider_ids", (now, limit)))
        moment = format_utc(now)
        stale = sorted((document["stale_after"], pid) for pid, document in self.documents().items()
                       if document["stale_after"] <= moment)
        return [pid for _, pid in stale[:limit]]

    def search(self, query: SearchQuery, after: Optional[List[Any]]) -> Tuple[List[Dict[str, Any]],
                                                                               Optional[List[Any]]]:
        self.calls.append(("search", (query, after)))
        found = [(self._sort_values(document, query), document) for document in self.documents().values()
                 if self._matches(document, query)]
        found.sort(key=lambda pair: self._order(pair[0], query))
        if after is not None:
            found = [pair for pair in found if self._order(pair[0], query) > self._order(after, query)]
        page, more = found[:query.limit], len(found) > query.limit
        return [dict(document) for _, document in page], (list(page[-1][0]) if more and page else None)

    # --- searching --------------------------------------------------------------------------------

    @staticmethod
    def _matches(document: Dict[str, Any], query: SearchQuery) -> bool:
        if query.category and query.category not in document["categories"]:
            return False
        if query.available_on and query.available_on.isoformat() not in document["free_days"]:
            return False
        if query.located:
            where = document["location"]
            if distance_km(query.lat, query.lon, where["lat"], where["lon"]) > query.radius:
                return False
        if query.q:
            text = " ".join([document["name"], document["description"], *document["service_names"]]).lower()
            return all(word in text for word in query.q.lower().split())
        return True

    @staticmethod
    def _sort_values(document: Dict[str, Any], query: SearchQuery) -> List[Any]:
        if query.sort == "distance":
            where = document["location"]
            return [distance_km(query.lat, query.lon, where["lat"], where["lon"]), document["provider_id"]]
        if query.sort == "rating":
            return [document["rating_sort"], document["review_count"], document["provider_id"]]
        score = document.get("rating_rank", rating_rank(document.get("rating"), document.get("review_count", 0)))
        return [score, document["provider_id"]]

    @staticmethod
    def _order(values: Sequence[Any], query: SearchQuery) -> Tuple[Any, ...]:
        """Sort values as one ascending key: distance up; rating, reviews and score down; then the id up."""
        if query.sort == "distance":
            return (values[0], values[1])
        if query.sort == "rating":
            return (-values[0], -values[1], values[2])
        return (-values[0], values[1])
