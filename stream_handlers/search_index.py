"""The stream function that keeps the search index: each provider something happened to is rebuilt from the table."""
# isort: off
from chalicelib.observability import logger, stream_function
# isort: on
from typing import Any, Mapping, Set

from chalicelib.adapters.stream import events_of, handle_batch, sequence_number
from chalicelib.config import require_settings
from chalicelib.service.indexing import index_providers

# At import, so that a function missing a setting fails its cold start with the names in its log.
require_settings("stream_handlers.search_index")

# Providers rebuilt in this invocation: every record of a batch was committed before the batch was read, so
# one rebuild per provider covers them all.
_rebuilt: Set[str] = set()


def record_handler(record: Mapping[str, Any]) -> None:
    """Rebuild the documents of the providers one record's events concern; raising fails this record alone."""
    providers = {event.provider_id for event in events_of(record)} - _rebuilt
    if not providers:
        return
    try:
        index_providers(sorted(providers))
    except Exception:
        logger.exception("Search documents not written", provider_ids=sorted(providers),
                         sequence_number=sequence_number(record))
        raise
    _rebuilt.update(providers)


@stream_function
def handler(event, context):
    """One batch of the table's stream; failed records are reported for Lambda to retry."""
    _rebuilt.clear()
    return handle_batch(event, record_handler)
