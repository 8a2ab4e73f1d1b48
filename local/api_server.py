"""`python -m local.api_server --host H --port P`: what `chalice local` serves, with two differences.

- A listen backlog large enough for a burst of new connections (the default of 5 resets most of a
  50-client burst).
- The answers chalice's local gateway makes itself are in the contract's error shape: an unknown path is
  404 `not_found` (chalice: 403 "Missing Authentication Token", echoing the caller's Authorization
  header), a known path with another method 405 `method_not_allowed` with `Allow` (chalice: 405 in its own
  shape, or 501 in HTML for methods http.server has no handler for), a malformed request 400. None of them
  repeats anything the caller sent.
- No CORS: the routes have none (the console is served from the API's origin), so OPTIONS is a method like
  any other a path does not take, 405 (chalice would answer it 200 itself, as a preflight).
- Each answer goes out in one write, headers and body together, on a socket with Nagle's algorithm off.
  chalice writes the body after the headers: on a keep-alive connection the body then waited for the
  client's delayed ACK of the headers (some 40 ms on Linux).

The deployed API answers these from API Gateway; its gateway responses get the same shape with the infra.
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Dict, Optional

from chalice import local
from chalice.cli import create_local_server
from chalice.cli.factory import CLIFactory

from local import console

ROOT = Path(__file__).resolve().parent.parent
LISTEN_BACKLOG = 256


def _refusal(error, headers: Optional[Dict[str, str]] = None):
    """(headers, body) of the contract's error answer."""
    from chalicelib.api.http import error_response

    answer = error_response(error, headers)
    return dict(answer.headers), json.dumps(answer.body).encode()


class NoSuchRoute(local.LocalGatewayException):
    CODE = 404

    def __init__(self) -> None:
        from chalicelib.domain.errors import NotFound

        super().__init__(*_refusal(NotFound("no such path; see GET /v1/openapi.json for the routes")))


class MethodNotAllowed(local.LocalGatewayException):
    CODE = 405

    def __init__(self, method: str, allowed: str) -> None:
        from chalicelib.domain.errors import MethodNotAllowed as NotThisMethod

        super().__init__(*_refusal(NotThisMethod(f"this path does not take {method[:16]}; it takes {allowed}"),
                                   {"Allow": allowed}))


class ContractGateway(local.LocalGateway):
    """chalice's local API Gateway, refusing unknown paths and methods as the contract does."""

    def _generate_lambda_event(self, method: str, path: str, headers: local.HeaderType,
                               body: Optional[bytes]) -> local.EventType:
        try:
            event = super()._generate_lambda_event(method, path, headers, body)
        except ValueError:
            raise NoSuchRoute() from None
        methods = self._app_object.routes[event["requestContext"]["resourcePath"]]
        if method not in methods:
            raise MethodNotAllowed(method, ", ".join(methods))
        return event


FEED_PATH = re.compile(r"(/v1/calendar-feeds/[^/?\s]+/)[^/?\s]+")


def loggable_path(path: str) -> str:
    """A request path fit for the access log: a calendar feed's secret (the address is its key) masked."""
    return FEED_PATH.sub(r"\1<secret>", path)


class ContractRequestHandler(local.ChaliceRequestHandler):
    """chalice's request handler with ContractGateway; every method reaches it, and HEAD and 204 get no body."""

    disable_nagle_algorithm = True  # TCP_NODELAY on every accepted connection (socketserver's setup)

    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Any, config: Any) -> None:
        self.local_gateway = ContractGateway(app_object, config)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    def __getattr__(self, name: str) -> Any:
        # http.server answers 501 in HTML for a method without a do_<METHOD>; let the gateway say 405.
        if name.startswith("do_"):
            return self._generic_handle
        raise AttributeError(name)

    def _generic_handle(self) -> None:
        if not re.fullmatch(r"[0-9]{1,12}", self.headers.get("content-length", "0").strip()):
            self.send_error(400)
            return
        if self.path == "/console" or self.path.startswith(console.PREFIX):
            self._serve_console()
            return
        super()._generic_handle()

    def _serve_console(self) -> None:
        """The provider console's files, same-origin with the API, with its security headers."""
        from chalicelib.config import get_settings
        from chalicelib.domain.errors import MethodNotAllowed as NotThisMethod, NotFound

        settings = get_settings()
        headers = console.security_headers(console.cognito_origin(settings.aws_region, settings.aws_endpoint_url))
        if self.command not in ("GET", "HEAD"):
            error = NotThisMethod(f"the console's files take GET and HEAD, not {self.command[:16]}")
            self._send_file_answer(405, *_refusal(error, {**headers, "Allow": "GET, HEAD"}))
            return
        status, file, place = console.resolve(self.path)
        if status == 301:
            self._send_file_answer(301, {**headers, "Location": place}, b"")
        elif file is None:
            self._send_file_answer(404, *_refusal(NotFound("no such page in the console"), headers))
        else:
            self._send_file_answer(200, {**headers, "Content-Type": console.content_type(file)}, file.read_bytes())

    def _send_file_answer(self, code: int, headers: Dict[str, str], body: bytes) -> None:
        self._send_answer(code, {**headers, "Content-Length": str(len(body))}, b"" if self.command == "HEAD" else body)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        """http.server's access line, with the path as loggable_path gives it."""
        if isinstance(code, HTTPStatus):
            code = code.value
        # A request line that could not be parsed (answered 400 by http.server) has no path: its raw line then.
        line = getattr(self, "requestline", "")
        if getattr(self, "path", None) is not None and self.command:
            line = f"{self.command} {self.path} {self.request_version}"
        self.log_message('"%s" %s %s', loggable_path(line), str(code), str(size))

    def _send_http_response(self, code: int, headers: local.HeaderType, body: Any) -> None:
        if code == 204 or self.command == "HEAD":
            self._send_headers_only(code, headers, body)
        elif body is None:
            self._send_answer(code, {**headers, "Content-Length": "0"}, b"")
        else:
            body = body if isinstance(body, bytes) else body.encode("utf-8")
            headers = dict(headers)
            # chalice's order: length, type (JSON unless the route said), the route's headers.
            self._send_answer(code, {"Content-Length": str(len(body)),
                                     "Content-Type": headers.pop("Content-Type", "application/json"), **headers}, body)

    def _send_headers_only(self, code: int, headers: local.HeaderType, body: Any) -> None:
        if code != 204:
            length = len(body.encode() if isinstance(body, str) else body or b"")
            headers = {"Content-Type": "application/json", **headers, "Content-Length": str(length)}
        self._send_answer(code, {k: v for k, v in headers.items() if code != 204 or k.lower() != "content-type"}, b"")

    def _send_answer(self, code: int, headers: local.HeaderType, body: bytes) -> None:
        """The status line, the headers (a list value as one line each) and the body in one write."""
        self.send_response(code)
        for name, value in headers.items():
            for one in value if isinstance(value, list) else [value]:
                self.send_header(name, one)
        self._headers_buffer.append(b"\r\n" + body)
        self.flush_headers()

    def send_error(self, code: int, message: Optional[str] = None, explain: Optional[str] = None) -> None:
        """http.server's own refusals (a malformed request line or headers) in the contract's shape."""
        self.log_error("code %d, message %s", code, message)
        reason = self.responses.get(code, ("Bad Request",))[0]
        from chalicelib.domain.errors import InvalidRequest

        headers, body = _refusal(InvalidRequest(f"{reason}: the request is not well-formed HTTP"))
        self.close_connection = True
        # A request line that did not parse leaves HTTP/0.9, which has no status line; answer in HTTP/1.1.
        self.request_version = self.protocol_version
        with_body = self.command != "HEAD" and code >= 200 and code not in (204, 304)
        self._send_answer(code, {**headers, "Content-Length": str(len(body)), "Connection": "close"},
                          body if with_body else b"")


class ContractFactory(CLIFactory):
    """The CLI factory `chalice local` uses, serving with ContractRequestHandler."""

    def create_local_server(self, app_obj, config, host: str, port: int) -> local.LocalDevServer:
        # No CustomLocalChalice swap as chalice does: RequestScopedChalice already keeps the request per thread.
        return local.LocalDevServer(app_obj, config, host, port, handler_cls=ContractRequestHandler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="local")
    args = parser.parse_args()
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    local.ThreadedHTTPServer.request_queue_size = LISTEN_BACKLOG
    server = create_local_server(ContractFactory(project_dir=str(ROOT)), args.host, args.port, args.stage)
    server.serve_forever()


if __name__ == "__main__":
    main()
