"""The stream function that writes the audit trail: who changed what, when, before and after."""
# isort: off
from chalicelib.observability import logger, stream_function
# isort: on
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from chalicelib.adapters.stream import events_of
from chalicelib.config import require_settings
from chalicelib.service import audit

# At import, so that a function missing a setting fails its cold start with the names in its log.
require_settings("stream_handlers.audit")

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    """Append the audit records of every event in one stream record (once each)."""
    # Powertools passes the record by the keyword `record`.
    for event in events_of(record.raw_event):
        try:
            audit.record(event)
        except Exception:
            logger.exception("Audit record failed", event_id=event.event_id)
            raise


@stream_function
def handler(event, context):
    """One batch of the table's stream; failed records are reported for Lambda to retry."""
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
