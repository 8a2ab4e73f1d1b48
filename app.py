"""The HTTP API: only wiring. Routes live in chalicelib/api, logic in chalicelib/service."""
# isort: off
# First: it quiets a PynamoDB notice that the route modules would otherwise log on import.
from chalicelib.observability import flush_metrics, logger, start_tracing
# isort: on
from chalicelib.api import audit, bookings, calendars, discovery, me, providers, reviews
from chalicelib.api.application import RequestScopedChalice
from chalicelib.config import require_settings

# At import, so that a function missing a setting fails its cold start with the names in its log.
require_settings("app")

app = RequestScopedChalice(app_name="marketplace")
app.register_blueprint(discovery.bp)
app.register_blueprint(providers.bp)
app.register_blueprint(bookings.bp)
app.register_blueprint(reviews.bp)
app.register_blueprint(calendars.bp)
app.register_blueprint(me.bp)
app.register_blueprint(audit.bp)


@app.middleware("http")
def observe(event, get_response):
    """Log each request with its outcome and publish the request's metrics."""
    start_tracing()
    logger.append_keys(path=event.path, method=event.method)
    # Here, not at the top: the API loads no adapter at import (its cold start).
    from chalicelib.adapters.budget import request_budget

    try:
        with request_budget():
            response = get_response(event)
        logger.info("Request handled", status=response.status_code)
        return response
    finally:
        flush_metrics()
        logger.remove_keys(["path", "method"])
