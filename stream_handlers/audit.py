"""The stream function that writes the audit trail: who changed what, when, before and after."""
# isort: off
from chalicelib.observability import logger, stream_function
# isort: on
from typing import Any, Mapping

from chalicelib.adapters.stream import events_of, handle_batch
from chalicelib.config import require_settings
from chalicelib.service import audit

# At import, so that a function missing a setting fails its cold start with the names in its log.
require_settings("stream_handlers.audit")


def record_handler(record: Mapping[str, Any]) -> None:
    """Append the audit records of every event in one stream record (once each)."""
    for event in events_of(record):
        try:
            audit.record(event)
        except Exception:
            logger.exception("Audit record failed", event_id=event.event_id)
            raise


@stream_function
def handler(event, context):
    """One batch of the table's stream; failed records are reported for Lambda to retry."""
    return handle_batch(event, record_handler)
