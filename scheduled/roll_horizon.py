"""Daily: write the slots of the local day that just entered each provider's 60-day horizon."""
from chalicelib.observability import metrics
from chalicelib.service.schedule import roll_all_horizons


@metrics.log_metrics
def handler(event, context):
    """Roll every provider's slot horizon forward."""
    return roll_all_horizons()
