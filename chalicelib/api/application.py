"""The Chalice application class the API runs on."""
from __future__ import annotations

import threading
from typing import Any, Optional

from chalice import Chalice
from chalice.app import Request


class RequestScopedChalice(Chalice):
    """Chalice whose current request and Lambda context belong to the thread handling them.

    Chalice keeps both on the shared app object. Lambda runs one request per process, but a threaded
    server (the local stack) runs many at once, and a handler could then read another's request.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._scope = threading.local()
        super().__init__(*args, **kwargs)

    @property
    def current_request(self) -> Optional[Request]:  # type: ignore[override]
        return getattr(self._scope, "request", None)

    @current_request.setter
    def current_request(self, value: Optional[Request]) -> None:
        self._scope.request = value

    @property
    def lambda_context(self) -> Any:  # type: ignore[override]
        return getattr(self._scope, "context", None)

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._scope.context = value
