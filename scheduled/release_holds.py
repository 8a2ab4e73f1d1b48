"""Every minute: free the slots of lapsed holds (reads already ignore them; this tidies the table)."""
from chalicelib.observability import scheduled_job
from chalicelib.service.holds import release_lapsed_holds


@scheduled_job
def handler(event, context):
    """Release every hold whose time has passed."""
    return {"released": release_lapsed_holds()}
