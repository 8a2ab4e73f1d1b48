"""Emulated AWS for the local stack: moto's server with every request serialised.

    python -m local.moto_server --host 127.0.0.1 --port 4566

moto is not thread-safe: racing ``TransactWriteItems`` against its threaded server lets two
conflicting transactions both win (see shared ARCHITECTURE.md, "Facts measured here"). Here the
whole request -- routing, the backend call and the consumption of the response body -- runs under
one lock, so moto sees one request at a time and its transactions behave like DynamoDB's.
Sockets are still served by werkzeug's threaded server, so a slow client never blocks the accept
loop; only the moto part is serial.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import threading
from typing import Any, Callable, Iterable, Iterator, List, Optional


class SerialisedApp:
    """WSGI middleware: one request at a time inside ``app``, body included."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> List[bytes]:
        with self.lock:
            result = self.app(environ, start_response)
            try:
                # Materialise the body inside the lock: a lazy iterable would otherwise run
                # moto code after the lock is released.
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()


def create_app() -> SerialisedApp:
    """moto's dispatcher over every backend, serialised."""
    from moto.server import DomainDispatcherApplication, create_backend_app

    from local import moto_patches

    moto_patches.apply()
    return SerialisedApp(DomainDispatcherApplication(create_backend_app))


def _quiet_handler() -> type:
    from moto.server import MotoRequestHandler

    class QuietRequestHandler(MotoRequestHandler):
        """moto's request handler without one log line per request."""

        def log_request(self, code: Any = "-", size: Any = "-") -> None:
            pass

    return QuietRequestHandler


@contextlib.contextmanager
def serialised_moto(start_seconds: float = 30) -> Iterator[str]:
    """This server in a child process on a free port, for tests and benchmarks; its URL. Stopped on exit."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request
    from pathlib import Path

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "local.moto_server", "--port", str(port)],
                               cwd=Path(__file__).resolve().parent.parent, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + start_seconds
    try:
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=1).close()
                break
            except urllib.error.HTTPError:
                break  # answering at all is up
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the moto server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _stop(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.moto_server", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    args = parser.parse_args(argv)

    # moto builds some URLs (queue URLs, presigned links) from this.
    os.environ.setdefault("MOTO_PORT", str(args.port))

    from werkzeug.serving import make_server

    server = make_server(
        args.host,
        args.port,
        create_app(),
        threaded=True,
        request_handler=_quiet_handler(),
    )
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(f"moto server (serialised) listening on http://{args.host}:{server.port}", flush=True)
    try:
        server.serve_forever()  # closes the socket on the way out
    except SystemExit:
        server.server_close()
    print("moto server stopped", flush=True)
    return 0


if __name__ == "__main__":
    code = main()
    # The emulated state dies with the process: tearing down its hundreds of thousands of objects one by
    # one took over 5 s on a seeded stack, longer than the stack waits for a child to stop.
    os._exit(code)
