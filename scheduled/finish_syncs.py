"""Every minute when deployed, every 15 s in the local stack: finish laying out slots for schedule changes.

A working-hours or zone change lays out its slots within its request's time budget; what is left (or what a
request that died left) is finished here. Until then those days offer fewer starts, never more.
"""
from chalicelib.config import require_settings
from chalicelib.observability import scheduled_job
from chalicelib.service.schedule import finish_all_syncs

# At import, so that a function missing a setting fails its cold start with the names in its log.
require_settings("scheduled.finish_syncs")


@scheduled_job
def handler(event, context):
    """Bring every provider's pending days in line with its saved working hours."""
    return finish_all_syncs()
