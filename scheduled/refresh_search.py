"""Every minute when deployed, every 15 s in the local stack: rebuild search documents the clock made stale."""
from chalicelib.config import require_settings
from chalicelib.observability import scheduled_job
from chalicelib.service.indexing import refresh_stale

# At import, so that a function missing a setting fails its cold start with the names in its log.
require_settings("scheduled.refresh_search")


@scheduled_job
def handler(event, context):
    """Rebuild the documents whose first free day has passed or that are older than their limit."""
    return {"refreshed": refresh_stale()}
