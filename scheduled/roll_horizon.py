"""Hourly (and at start in the local stack): write the local days that entered each provider's 60-day horizon.

Hourly, not daily: each provider's new day begins at its own local midnight, so every time zone gets
its day within the hour. The providers' listing is walked shard by shard in parallel; a provider whose
day entered costs one read and one transaction (decision 14).
"""
from chalicelib.config import require_settings
from chalicelib.observability import scheduled_job
from chalicelib.service.schedule import roll_all_horizons

# At import, so that a function missing a setting fails its cold start with the names in its log.
require_settings("scheduled.roll_horizon")


@scheduled_job
def handler(event, context):
    """Roll every provider's slot horizon forward."""
    return roll_all_horizons()
