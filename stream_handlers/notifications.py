"""The stream function that tells customers and owners what happened: inbox, e-mail, push and SMS."""
# isort: off
from chalicelib.observability import logger, stream_function
# isort: on
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from chalicelib.adapters.stream import events_of
from chalicelib.config import require_settings
from chalicelib.service.notifications import notify

# At import, so that a function missing a setting fails its cold start with the names in its log.
require_settings("stream_handlers.notifications")

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    """Deliver the notices of every event in one record; raising fails this record alone."""
    for event in events_of(record.raw_event):
        try:
            notify(event)
        except Exception:
            logger.exception("Notifications of an event failed", event_id=event.event_id,
                             sequence_number=record.dynamodb.sequence_number if record.dynamodb else None)
            raise


@stream_function
def handler(event, context):
    """One batch of the table's stream; failed records are reported for Lambda to retry."""
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
