"""The stream function that tells customers and owners what happened: inbox, e-mail, push and SMS."""
# isort: off
from chalicelib.observability import logger, stream_function
# isort: on
from typing import Any, Mapping

from chalicelib.adapters.stream import events_of, handle_batch, sequence_number
from chalicelib.config import require_settings
from chalicelib.service.notifications import notify

# At import, so that a function missing a setting fails its cold start with the names in its log.
require_settings("stream_handlers.notifications")


def record_handler(record: Mapping[str, Any]) -> None:
    """Deliver the notices of every event in one record; raising fails this record alone."""
    for event in events_of(record):
        try:
            notify(event)
        except Exception:
            logger.exception("Notifications of an event failed", event_id=event.event_id,
                             sequence_number=sequence_number(record))
            raise


@stream_function
def handler(event, context):
    """One batch of the table's stream; failed records are reported for Lambda to retry."""
    return handle_batch(event, record_handler)
