"""The process's clients of AWS services other than DynamoDB (SES, SNS, Cognito), each built once on first use."""
from __future__ import annotations

import threading
from typing import Any, Dict

from chalicelib.config import get_settings

_lock = threading.Lock()
_clients: Dict[str, Any] = {}


def client(service: str) -> Any:
    """The botocore client of a service, with bounded timeouts and standard retries."""
    found = _clients.get(service)
    if found is None:
        with _lock:
            found = _clients.get(service)
            if found is None:
                found = _clients[service] = _build(service)
    return found


def _build(service: str) -> Any:
    from botocore.config import Config
    from botocore.session import get_session

    settings = get_settings()
    config = Config(connect_timeout=2, read_timeout=10, retries={"mode": "standard", "total_max_attempts": 3})
    return get_session().create_client(service, region_name=settings.aws_region,
                                       endpoint_url=settings.aws_endpoint_url, config=config)


def error_code(error: Exception) -> str:
    """The AWS error code of a client error ('' for anything else)."""
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def reset() -> None:
    """Forget every client (tests that change the settings)."""
    with _lock:
        _clients.clear()
