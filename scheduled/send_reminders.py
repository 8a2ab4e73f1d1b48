"""Every minute when deployed, every 15 s in the local stack: remind customers a day before their bookings."""
from chalicelib.observability import scheduled_job
from chalicelib.service.reminders import send_due_reminders


@scheduled_job
def handler(event, context):
    """Send the reminders that fell due."""
    return send_due_reminders()
