"""How each stream function reads the table's stream: one definition for the local feeder and infra/.

Each source is what an AWS Lambda event source mapping says: which function, how many records a batch
holds, how often a failing batch is retried (bisected on error) before its place in the stream goes to
the dead-letter queue, and which records the function is given at all (Lambda's filter criteria: the
slot, card, inbox and audit items that make up most writes never reach a function).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

#: The records of the entities whose changes are events: bookings, reviews, blocks, working hours, services,
#: profiles.
ENTITY_RECORDS: Dict[str, Any] = {
    "dynamodb": {
        "Keys": {
            "sk": {"S": ["BOOKING", "REVIEW", "SCHEDULE", "PROFILE", {"prefix": "BLOCK#"}, {"prefix": "SERVICE#"}]},
        },
    },
}


@dataclass(frozen=True)
class StreamSource:
    """One function reading the table's stream, and the settings of its event source mapping."""

    name: str
    handler: str  # module:function
    batch_size: int = 100
    # Seconds Lambda may wait to fill a batch; locally the feeder polls about twice a second.
    batching_window_seconds: int = 0
    maximum_retry_attempts: int = 3
    bisect_on_error: bool = True
    # Lambda's FilterCriteria patterns; a record is given to the function if any pattern matches.
    filters: Tuple[Dict[str, Any], ...] = (ENTITY_RECORDS,)

    @property
    def module(self) -> str:
        return self.handler.split(":")[0]

    @property
    def function(self) -> str:
        return self.handler.split(":")[1]


SOURCES: List[StreamSource] = [
    # Separate functions, so that a failing e-mail never holds the audit trail back (and the reverse).
    StreamSource(name="notifications", handler="stream_handlers.notifications:handler", batch_size=50),
    StreamSource(name="audit", handler="stream_handlers.audit:handler", batch_size=100),
    # Rebuilds each provider once per batch, however many of its records the batch holds: a large batch pays.
    StreamSource(name="search", handler="stream_handlers.search_index:handler", batch_size=200),
]


#: The dead-letter queue's settings, as CloudFormation's AWS::SQS::Queue properties (infra/ and the local stack):
#: a parked batch is kept for the queue's longest retention, encrypted at rest.
DEAD_LETTER_QUEUE: Dict[str, Any] = {"MessageRetentionPeriod": 14 * 24 * 3600, "SqsManagedSseEnabled": True}


def dead_letter_queue_attributes() -> Dict[str, str]:
    """DEAD_LETTER_QUEUE as SQS CreateQueue attributes (strings; booleans lower case)."""
    return {name: str(value).lower() if isinstance(value, bool) else str(value)
            for name, value in DEAD_LETTER_QUEUE.items()}


def source_named(name: str) -> StreamSource:
    """The source of that name; KeyError if there is none."""
    for source in SOURCES:
        if source.name == name:
            return source
    raise KeyError(name)
