"""Every minute when deployed, every 15 s in the local stack: remind customers a day before their bookings."""
from chalicelib.config import require_settings
from chalicelib.observability import scheduled_job
from chalicelib.service.reminders import send_due_reminders

# At import, so that a function missing a setting fails its cold start with the names in its log.
require_settings("scheduled.send_reminders")


@scheduled_job
def handler(event, context):
    """Send the reminders that fell due."""
    return send_due_reminders()
