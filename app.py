"""The HTTP API: only wiring. Routes live in chalicelib/api, logic in chalicelib/service."""
from chalicelib.api import bookings, discovery, providers
from chalicelib.api.application import RequestScopedChalice
from chalicelib.observability import logger, metrics

app = RequestScopedChalice(app_name="marketplace")
app.register_blueprint(discovery.bp)
app.register_blueprint(providers.bp)
app.register_blueprint(bookings.bp)


@app.middleware("http")
def observe(event, get_response):
    """Log each request with its outcome and flush the request's metrics."""
    logger.append_keys(path=event.path, method=event.method)
    try:
        response = get_response(event)
        logger.info("Request handled", status=response.status_code)
        return response
    finally:
        metrics.flush_metrics()
        logger.remove_keys(["path", "method"])
