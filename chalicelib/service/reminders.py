"""Reminders: a day before each active booking, once, at its current start."""
from __future__ import annotations

from datetime import timedelta
from typing import Dict

from chalicelib.domain import events
from chalicelib.domain.notices import REMINDER_LEAD, reminder_due
from chalicelib.domain.timegrid import format_utc
from chalicelib.observability import count, logger
from chalicelib.service import clock, notifications
from chalicelib.service.stores import booking_store

# Reminders due longer ago than this (the job was down) are no longer looked for.
LOOKBACK = timedelta(hours=3)


def send_due_reminders() -> Dict[str, int]:
    """Send every reminder that fell due and has not gone out; counts of those sent and skipped."""
    now = clock.now()
    sent = skipped = 0
    for listed in booking_store.list_due_reminders(now, LOOKBACK):
        booking = booking_store.get_booking(listed.booking_id)  # the index may lag a change
        if booking is None or booking.start != listed.start or reminder_due(booking) is None:
            skipped += 1
            continue
        if booking.start <= now:
            skipped += 1  # too late to remind of anything
        else:
            # `at` is when it fell due: every attempt is the same event, so a retry sends nothing twice.
            notifications.notify(events.reminder_of(booking, at=format_utc(booking.start - REMINDER_LEAD)))
            logger.info("Reminder sent", booking_id=booking.booking_id, provider_id=booking.provider_id)
            sent += 1
        booking_store.mark_reminded(booking)
    if sent:
        count("ReminderSent", sent)
    return {"sent": sent, "skipped": skipped}
