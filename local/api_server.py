"""`python -m local.api_server --host H --port P`: what `chalice local` serves, with a listen backlog
large enough for a burst of new connections (the default of 5 resets most of a 50-client burst)."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from chalice import local
from chalice.cli import create_local_server
from chalice.cli.factory import CLIFactory

ROOT = Path(__file__).resolve().parent.parent
LISTEN_BACKLOG = 256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="local")
    args = parser.parse_args()
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    local.ThreadedHTTPServer.request_queue_size = LISTEN_BACKLOG
    server = create_local_server(CLIFactory(project_dir=str(ROOT)), args.host, args.port, args.stage)
    server.serve_forever()


if __name__ == "__main__":
    main()
