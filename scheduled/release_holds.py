"""Every minute when deployed, every 30 s in the local stack: free the slots of lapsed holds.

Reads already treat a lapsed hold's slots as free; this only tidies the table.
"""
from chalicelib.config import require_settings
from chalicelib.observability import scheduled_job
from chalicelib.service.holds import release_lapsed_holds

# At import, so that a function missing a setting fails its cold start with the names in its log.
require_settings("scheduled.release_holds")


@scheduled_job
def handler(event, context):
    """Release every hold whose time has passed."""
    return {"released": release_lapsed_holds()}
