"""Daily: write the slots of the local day that just entered each provider's 60-day horizon."""
from chalicelib.observability import scheduled_job
from chalicelib.service.schedule import roll_all_horizons


@scheduled_job
def handler(event, context):
    """Roll every provider's slot horizon forward."""
    return roll_all_horizons()
