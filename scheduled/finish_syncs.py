"""Every minute: finish laying out slots for schedule changes a request could not finish in its time."""
from chalicelib.observability import metrics
from chalicelib.service.schedule import finish_all_syncs


@metrics.log_metrics
def handler(event, context):
    """Bring every provider's pending days in line with its saved working hours."""
    return finish_all_syncs()
