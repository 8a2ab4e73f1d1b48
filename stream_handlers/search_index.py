"""The stream function that keeps the search index: each provider something happened to is rebuilt from the table."""
# isort: off
from chalicelib.observability import logger, stream_function
# isort: on
from typing import Set

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from chalicelib.adapters.stream import events_of
from chalicelib.config import require_settings
from chalicelib.service.search import index_providers

# At import, so that a function missing a setting fails its cold start with the names in its log.
require_settings("stream_handlers.search_index")

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
# Providers rebuilt in this invocation: every record of a batch was committed before the batch was read, so
# one rebuild per provider covers them all.
_rebuilt: Set[str] = set()


def record_handler(record: DynamoDBRecord) -> None:
    """Rebuild the documents of the providers one record's events concern; raising fails this record alone."""
    # Powertools passes the record by the keyword `record`.
    providers = {event.provider_id for event in events_of(record.raw_event)} - _rebuilt
    if not providers:
        return
    try:
        index_providers(sorted(providers))
    except Exception:
        logger.exception("Search documents not written", provider_ids=sorted(providers),
                         sequence_number=record.dynamodb.sequence_number if record.dynamodb else None)
        raise
    _rebuilt.update(providers)


@stream_function
def handler(event, context):
    """One batch of the table's stream; failed records are reported for Lambda to retry."""
    _rebuilt.clear()
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
