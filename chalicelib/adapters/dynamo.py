"""The process's one DynamoDB client, the connection every model shares, and the one retry policy.

botocore clients are thread-safe, but PynamoDB builds a session and a client per model class and per
thread. On a cold process under a burst that meant dozens of clients built at once (seconds each under
the GIL). Here one client is built once, under a lock, and every model and transaction uses it.

Retries: botocore's standard mode retries throttling, 5xx and transport errors (with the same
ClientRequestToken for TransactWriteItems) with jittered backoff, `MAX_ATTEMPTS` in all, inside bounded
connect and read timeouts (settings; 2 s and 5 s unless set). Nothing above retries those again; what is left is answered as TryAgain (503).
Only a transaction cancelled by a concurrent transaction (TransactionConflict) is tried again, by
`transaction.Transaction.commit`, because its conditions must be evaluated anew.

Time budget (`budget.py`, decision 18): in an API request a retry starts only while the request's budget
lasts; a retry due after it is not sent and the call fails as TryAgain.
"""
from __future__ import annotations

import threading
from typing import Any, Dict, Iterator, Optional

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.connection import Connection, TableConnection
from pynamodb.connection.base import MetaTable

from chalicelib.adapters.budget import budget_left
from chalicelib.adapters.table import TABLE_DEFINITION
from chalicelib.config import get_settings
from chalicelib.domain.errors import TryAgain

MAX_ATTEMPTS = 3
# Error codes that mean "busy or broken on the service side, nothing was written".
BUSY_CODES = frozenset({
    "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
    "InternalServerError", "ServiceUnavailable", "TransactionInProgressException",
})

_lock = threading.Lock()
_client: Any = None
_table: Optional[TableConnection] = None


class BudgetSpent(BotoCoreError):
    """A retry was due after the request's time budget was spent; it is not sent."""

    fmt = "the request's time budget is spent: {operation} is not tried again"


def _stop_spent_retries(request: Any, operation_name: str, **_: Any) -> None:
    """botocore builds each attempt's request here: a retry past the budget is refused before it is sent."""
    if request.context.get("retries", {}).get("attempt", 1) > 1 and not budget_left():
        raise BudgetSpent(operation=operation_name)


def client() -> Any:
    """The process's botocore DynamoDB client, built on first use."""
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                _client = _build_client()
    return _client


def _build_client() -> Any:
    from botocore.config import Config
    from botocore.session import get_session

    settings = get_settings()
    config = Config(connect_timeout=settings.dynamodb_connect_timeout_seconds,
                    read_timeout=settings.dynamodb_read_timeout_seconds,
                    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
                    max_pool_connections=64, parameter_validation=False, tcp_keepalive=True)
    built = get_session().create_client("dynamodb", region_name=settings.aws_region,
                                        endpoint_url=settings.aws_endpoint_url, config=config)
    built.meta.events.register("request-created.dynamodb", _stop_spent_retries)
    return built


class SharedConnection(Connection):
    """A PynamoDB connection over the process's one client; busy or unreachable becomes TryAgain."""

    @property
    def client(self) -> Any:  # type: ignore[override]
        return client()

    def _make_api_call(self, operation_name: str, operation_kwargs: Dict) -> Dict:
        try:
            return super()._make_api_call(operation_name, operation_kwargs)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in BUSY_CODES:
                _busy(operation_name, code)
                raise TryAgain() from error
            raise
        except BotoCoreError as error:  # timeouts, refused connections: botocore has retried already
            _busy(operation_name, type(error).__name__)
            raise TryAgain() from error


def _busy(operation: str, reason: str) -> None:
    from chalicelib.observability import logger

    logger.warning("DynamoDB busy or unreachable", operation=operation, reason=reason)


def table_connection() -> TableConnection:
    """The connection to the one table, shared by every model (built on first use)."""
    global _table
    if _table is None:
        with _lock:
            if _table is None:
                table_name = get_settings().table_name
                connection = TableConnection(table_name)
                connection.connection = SharedConnection(region=get_settings().aws_region)
                connection.connection.add_meta_table(MetaTable({"TableName": table_name, **TABLE_DEFINITION}))
                _table = connection
    return _table


def query_range(partition: str, low: str, high: str, filter_condition: Any = None) -> Iterator[Dict[str, Any]]:
    """Every item (raw attributes) of a partition whose sort key is in [low, high], strongly consistent; with a
    filter, only those it keeps (DynamoDB reads the whole range all the same, but sends back less)."""
    from pynamodb.expressions.operand import Path

    return _query_all(partition, Path("sk").between(low, high), consistent_read=True,
                      filter_condition=filter_condition)


def query_prefix(partition: str, prefix: str) -> Iterator[Dict[str, Any]]:
    """Every item (raw attributes) of a partition whose sort key begins with prefix (eventually consistent)."""
    from pynamodb.expressions.operand import Path

    return _query_all(partition, Path("sk").startswith(prefix), consistent_read=False)


def _query_all(partition: str, condition: Any, consistent_read: bool,
               filter_condition: Any = None) -> Iterator[Dict[str, Any]]:
    start_key = None
    while True:
        page = table_connection().query(partition, range_key_condition=condition, filter_condition=filter_condition,
                                        consistent_read=consistent_read, exclusive_start_key=start_key)
        yield from page.get("Items", [])
        start_key = page.get("LastEvaluatedKey")
        if not start_key:
            return


def reset() -> None:
    """Forget the client and connection, so the next call builds them from the current settings (tests)."""
    global _client, _table
    with _lock:
        _client = None
        _table = None
