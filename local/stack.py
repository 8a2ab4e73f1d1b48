"""The whole product on this machine: emulated AWS, the API, the schedules and demo data.

    python -m local.stack [--host 127.0.0.1] [--api-port 8000] [--aws-port 4566] [--search-port 9200]
                          [--no-seed] [--state-file PATH] [--quiet [--log-dir DIR]]

Starts, each as a child process in its own process group:
  moto    -- emulated AWS (DynamoDB, Cognito, SES, SNS, SQS), requests serialised (local/moto_server.py)
  search  -- an OpenSearch-compatible engine in memory (the osmem-server package's binary)
  api     -- app.py served as `chalice local` does (local/api_server.py)
  jobs    -- the scheduled functions on their schedules (local/scheduler.py)
  streams -- the table's stream fed to the stream functions, as their event source mappings do
             (local/streams.py)
  seed    -- demo data, once (local/seed.py; skipped with --no-seed or when it does not exist)
after creating in moto the table, the user pool, the stream functions' dead-letter queue, the verified
e-mail sender and the push applications, and rebuilding the search index from the table (an empty
index and its alias on a fresh start: scripts/reindex_search.py). Every child gets their names in its environment; the stack also
writes that environment to <log dir>/environment, for `make replay`. Ctrl-C or SIGTERM stops every child
and exits 0; a child that dies on its own stops the rest and exits 1.
"""
from __future__ import annotations

import argparse
import collections
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Deque, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = ROOT / ".local-stack"

REGION = "eu-west-1"
TABLE_NAME = "marketplace-local"
USER_POOL_NAME = "marketplace-local"
DEAD_LETTER_QUEUE_NAME = "marketplace-local-stream-dlq"
PUSH_APPLICATION_NAME = "marketplace-local"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Variables that could point boto3 at a real account; the stack must never use one.
UNSAFE_AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)

API_READY_TIMEOUT = 60.0
AWS_READY_TIMEOUT = 30.0
SEARCH_READY_TIMEOUT = 30.0
REINDEX_TIMEOUT = 300.0
SEARCH_INDEX = "providers"
SEED_TIMEOUT = 600.0
STOP_GRACE = 5.0


class StackError(Exception):
    """Starting or running the stack failed; the message says why."""


def _client_host(host: str) -> str:
    """The address a client on this machine uses to reach a server bound to ``host``."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


def _check_port_free(host: str, port: int, what: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the servers do: a port held only by TIME_WAIT connections of a past run is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            raise StackError(f"{what} port {host}:{port} is not free ({error}); pick another with --{what}-port") from None


def _load_prctl():
    """libc's prctl, looked up now: the child must not dlopen between fork and exec."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if the stack itself dies (say, SIGKILLed)."""
    _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class Child:
    """One child process, its output prefixed on the console or written to a log file."""

    def __init__(self, name: str, argv: List[str], env: Dict[str, str], quiet: bool, log_dir: Path) -> None:
        self.name = name
        self.argv = argv
        self.tail: Deque[str] = collections.deque(maxlen=80)
        self.log_path: Optional[Path] = None
        self._reader: Optional[threading.Thread] = None
        if quiet:
            log_dir.mkdir(parents=True, exist_ok=True)
            self.log_path = log_dir / f"{name}.log"
            output = open(self.log_path, "wb")
            stdout, stderr = output, subprocess.STDOUT
        else:
            output = None
            stdout, stderr = subprocess.PIPE, subprocess.STDOUT
        preexec = _die_with_parent if _PRCTL is not None else None
        try:
            self.proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,  # its own process group: stopped as a whole
                preexec_fn=preexec,
            )
        finally:
            if output is not None:
                output.close()
        if not quiet:
            self._reader = threading.Thread(target=self._pump, name=f"pump-{name}", daemon=True)
            self._reader.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        prefix = f"{self.name:>5} | "
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            self.tail.append(line)
            say(prefix + line)
        self.proc.stdout.close()

    def last_output(self) -> str:
        if self.log_path is not None:
            try:
                lines = self.log_path.read_text(errors="replace").splitlines()[-80:]
            except OSError:
                lines = []
            where = f" (full log: {self.log_path})"
        else:
            if self._reader is not None:
                self._reader.join(timeout=2)
            lines = list(self.tail)[-20:]  # the whole of it is on the console above
            where = " (all of it is above)"
        body = "\n".join(f"    {line}" for line in lines) or "    (no output)"
        return f"last output of {self.name}{where}:\n{body}"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal_group(self, signum: int) -> None:
        try:
            os.killpg(self.proc.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def join_output(self) -> None:
        if self._reader is not None:
            self._reader.join(timeout=2)


_print_lock = threading.Lock()


def say(message: str) -> None:
    """Print a line; a console that went away (closed pipe) must not stop the shutdown."""
    with _print_lock:
        try:
            print(message, flush=True)
        except (OSError, ValueError):
            pass


class Stack:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.host = args.host
        client_host = _client_host(args.host)
        self.api_url = f"http://{client_host}:{args.api_port}"
        self.aws_endpoint_url = f"http://{client_host}:{args.aws_port}"
        self.search_url = f"http://{client_host}:{args.search_port}"
        self.log_dir = Path(args.log_dir).resolve() if args.log_dir else LOG_DIR / str(args.api_port)
        self.children: List[Child] = []
        self.services: List[Child] = []  # children that must stay up
        self.env: Dict[str, str] = {}
        self.settings_env: Dict[str, str] = {}  # what the stack itself sets in every child's environment
        self.user_pool_id = ""
        self.user_pool_client_id = ""
        self.demo_subs: Dict[str, str] = {}
        self.state_file: Optional[Path] = Path(args.state_file).resolve() if args.state_file else None

    # -- children -------------------------------------------------------------------------
    def spawn(self, name: str, argv: List[str], service: bool = True) -> Child:
        child = Child(name, argv, self.env or dict(os.environ), self.args.quiet, self.log_dir)
        self.children.append(child)
        if service:
            self.services.append(child)
        return child

    def check_services(self) -> None:
        for child in self.services:
            code = child.proc.poll()
            if code is not None:
                raise StackError(f"{child.name} exited unexpectedly with code {code}\n{child.last_output()}")

    def stop(self) -> None:
        """Terminate every child's process group, then kill what is left after a grace period."""
        running = [c for c in reversed(self.children) if c.alive()]
        # Emulated AWS and the search engine last: the others may be in the middle of a request to them.
        last = ("moto", "search")
        for wave in ([c for c in running if c.name not in last], [c for c in running if c.name in last]):
            for child in wave:
                child.signal_group(signal.SIGTERM)
            deadline = time.monotonic() + STOP_GRACE
            for child in wave:
                try:
                    child.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
        for child in reversed(self.children):
            # Only while the leader is unreaped: its group id then cannot belong to anyone else.
            if child.alive():
                child.signal_group(signal.SIGKILL)
                say(f"stack | {child.name} did not stop in {STOP_GRACE:.0f}s: killed")
            try:
                child.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                say(f"stack | {child.name} (pid {child.proc.pid}) would not die")
            child.join_output()
        if self.state_file is not None:
            try:
                self.state_file.unlink()
            except FileNotFoundError:
                pass

    # -- waiting ----------------------------------------------------------------------------
    def wait_http(self, url: str, child: Child, timeout: float, want_200: bool) -> None:
        deadline = time.monotonic() + timeout
        last_error = "no answer"
        while time.monotonic() < deadline:
            self.check_services()
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200 or not want_200:
                        return
                    last_error = f"HTTP {response.status}"
            except urllib.error.HTTPError as error:
                if not want_200:
                    return
                last_error = f"HTTP {error.code}"
            except (urllib.error.URLError, OSError) as error:
                last_error = str(error)
            time.sleep(0.2)
        raise StackError(
            f"{child.name} did not answer {url} within {timeout:.0f}s ({last_error})\n{child.last_output()}"
        )

    # -- steps ------------------------------------------------------------------------------
    def build_env(self) -> None:
        env = dict(os.environ)
        for name in UNSAFE_AWS_VARIABLES:
            env.pop(name, None)
        self.settings_env = {
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL": self.aws_endpoint_url,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "TABLE_NAME": TABLE_NAME,
            "STAGE": "local",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            # The emulator answers one request at a time: under a burst a call waits its turn.
            "DYNAMODB_READ_TIMEOUT_SECONDS": "30",
            "PYTHONUNBUFFERED": "1",
        }
        env.update(self.settings_env)
        self.env = env
        # The stack's own boto3 clients obey the same rules.
        for name in UNSAFE_AWS_VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(env)

    def start_moto(self) -> None:
        _check_port_free(self.host, self.args.aws_port, "aws")
        child = self.spawn(
            "moto",
            [sys.executable, "-m", "local.moto_server", "--host", self.host, "--port", str(self.args.aws_port)],
        )
        self.wait_http(self.aws_endpoint_url + "/", child, AWS_READY_TIMEOUT, want_200=False)
        say(f"stack | emulated AWS up at {self.aws_endpoint_url}")

    def start_search(self) -> None:
        """The search engine: osmem-server, in memory, bound like the others; it dies with the stack."""
        from osmem_server import resolve_binary

        _check_port_free(self.host, self.args.search_port, "search")
        child = self.spawn("search", [resolve_binary(), "--addr", f"{self.host}:{self.args.search_port}",
                                      "--no-ja", "--no-stdin-watch", "--parent-pid", str(os.getpid())])
        self.wait_http(self.search_url + "/", child, SEARCH_READY_TIMEOUT, want_200=True)
        self.set_env({"SEARCH_ENDPOINT": self.search_url, "SEARCH_INDEX": SEARCH_INDEX})
        say(f"stack | search engine up at {self.search_url}")

    def reindex(self) -> None:
        """Rebuild the search index from the table into a new index and swap the alias, as on every start."""
        try:
            done = subprocess.run([sys.executable, "-m", "scripts.reindex_search"], cwd=ROOT, env=self.env,
                                  capture_output=True, text=True, timeout=REINDEX_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise StackError(f"the search reindex took over {REINDEX_TIMEOUT:.0f}s") from None
        if done.returncode != 0:
            raise StackError(f"the search reindex failed:\n{done.stdout}{done.stderr}")
        say(f"stack | search: {done.stdout.strip().splitlines()[-1]}")

    def bootstrap(self) -> None:
        import boto3
        from botocore.config import Config

        from local import bootstrap

        kwargs = dict(
            endpoint_url=self.aws_endpoint_url,
            region_name=REGION,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            config=Config(retries={"max_attempts": 3}),
        )
        bootstrap.create_table(boto3.client("dynamodb", **kwargs), TABLE_NAME)
        cognito = boto3.client("cognito-idp", **kwargs)
        self.user_pool_id, self.user_pool_client_id = bootstrap.create_user_pool(cognito, USER_POOL_NAME)
        self.demo_subs = {
            "DEMO_PROVIDER_SUB": bootstrap.ensure_user(
                cognito,
                self.user_pool_id,
                bootstrap.DEMO_PROVIDER_EMAIL,
                bootstrap.DEMO_PASSWORD,
                groups=(bootstrap.PROVIDERS_GROUP,),
            ),
            "DEMO_CUSTOMER_SUB": bootstrap.ensure_user(
                cognito, self.user_pool_id, bootstrap.DEMO_CUSTOMER_EMAIL, bootstrap.DEMO_PASSWORD
            ),
        }
        self.set_env({"USER_POOL_ID": self.user_pool_id, "USER_POOL_CLIENT_ID": self.user_pool_client_id})
        say(
            f"stack | table {TABLE_NAME}, user pool {self.user_pool_id} "
            f"(client {self.user_pool_client_id}), demo users created"
        )
        self.bootstrap_messaging(kwargs)

    def bootstrap_messaging(self, client_kwargs: Dict) -> None:
        """The dead-letter queue of the stream functions, the e-mail sender, the push applications."""
        import boto3

        from chalicelib.config import Settings
        from local import bootstrap

        email_from = Settings.from_environment(self.env).email_from
        queue_url = bootstrap.create_queue(boto3.client("sqs", **client_kwargs), DEAD_LETTER_QUEUE_NAME)
        bootstrap.verify_sender(boto3.client("ses", **client_kwargs), email_from)
        push = bootstrap.create_push_applications(boto3.client("sns", **client_kwargs), PUSH_APPLICATION_NAME)
        self.set_env(
            {
                "STREAM_DEAD_LETTER_QUEUE_URL": queue_url,
                "EMAIL_FROM": email_from,
                "PUSH_APNS_APPLICATION_ARN": push["APNS"],
                "PUSH_FCM_APPLICATION_ARN": push["GCM"],
            }
        )
        say(f"stack | dead-letter queue {queue_url}, e-mail sender {email_from} verified, push applications created")

    def set_env(self, values: Dict[str, str]) -> None:
        """Settings every child started from now on gets."""
        self.settings_env.update(values)
        self.env.update(values)

    def write_environment(self) -> Path:
        """The settings the stack gives its children, as KEY=VALUE lines: what `make replay` needs."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        path = self.log_dir / "environment"
        path.write_text("".join(f"{key}={value}\n" for key, value in sorted(self.settings_env.items())))
        return path

    def start_api(self) -> None:
        _check_port_free(self.host, self.args.api_port, "api")
        child = self.spawn(
            "api",
            [sys.executable, "-m", "local.api_server", "--host", self.host, "--port", str(self.args.api_port),
             "--stage", "local"],
        )
        self.wait_http(self.api_url + "/v1/health", child, API_READY_TIMEOUT, want_200=True)
        say(f"stack | API up at {self.api_url}")

    def start_jobs(self) -> None:
        self.spawn("jobs", [sys.executable, "-m", "local.scheduler"])

    def start_streams(self) -> None:
        self.spawn("streams", [sys.executable, "-m", "local.streams"])

    def seed(self) -> None:
        if self.args.no_seed:
            say("stack | --no-seed: no demo data loaded")
            return
        if not (ROOT / "local" / "seed.py").exists():
            say("stack | local/seed.py does not exist yet: no demo data loaded")
            return
        saved = self.env
        self.env = {**saved, "API_URL": self.api_url, **self.demo_subs}
        try:
            child = self.spawn("seed", [sys.executable, "-m", "local.seed"], service=False)
        finally:
            self.env = saved
        deadline = time.monotonic() + SEED_TIMEOUT
        while child.alive():
            self.check_services()
            if time.monotonic() > deadline:
                raise StackError(f"seed still running after {SEED_TIMEOUT:.0f}s\n{child.last_output()}")
            time.sleep(0.2)
        child.join_output()
        if child.proc.returncode != 0:
            raise StackError(f"seed failed with code {child.proc.returncode}\n{child.last_output()}")
        if self.args.quiet and child.log_path is not None:
            # The seed's summary is worth showing even in quiet mode.
            for line in child.log_path.read_text(errors="replace").splitlines()[-40:]:
                say(f" seed | {line}")

    def write_state(self) -> None:
        if self.state_file is None:
            return
        state = {
            "api_url": self.api_url,
            "aws_endpoint_url": self.aws_endpoint_url,
            "region": REGION,
            "user_pool_id": self.user_pool_id,
            "user_pool_client_id": self.user_pool_client_id,
            "table_name": TABLE_NAME,
            "search_url": self.search_url,
            "dead_letter_queue_url": self.settings_env.get("STREAM_DEAD_LETTER_QUEUE_URL", ""),
            "email_from": self.settings_env.get("EMAIL_FROM", ""),
        }
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        partial = self.state_file.with_name(self.state_file.name + ".partial")
        partial.write_text(json.dumps(state, indent=2) + "\n")
        partial.replace(self.state_file)  # atomic: a reader sees all of it or nothing

    def banner(self) -> None:
        from local import bootstrap

        python = Path(sys.executable)
        try:
            python_shown = str(python.relative_to(ROOT)) if python.is_absolute() else str(python)
        except ValueError:
            python_shown = str(python)  # a python3 from PATH may lack boto3; this one has it
        token_py = (
            f"{python_shown} -c 'import boto3; print(boto3.client(\"cognito-idp\", "
            f"endpoint_url=\"{self.aws_endpoint_url}\", region_name=\"{REGION}\", "
            f"aws_access_key_id=\"testing\", aws_secret_access_key=\"testing\").initiate_auth("
            f"ClientId=\"{self.user_pool_client_id}\", AuthFlow=\"USER_PASSWORD_AUTH\", "
            f"AuthParameters={{\"USERNAME\": \"{bootstrap.DEMO_PROVIDER_EMAIL}\", "
            f"\"PASSWORD\": \"{bootstrap.DEMO_PASSWORD}\"}})[\"AuthenticationResult\"][\"IdToken\"])'"
        )
        token_curl = (
            f"curl -s {self.aws_endpoint_url}/ "
            "-H 'Content-Type: application/x-amz-json-1.1' "
            "-H 'X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth' "
            f"-d '{{\"ClientId\":\"{self.user_pool_client_id}\",\"AuthFlow\":\"USER_PASSWORD_AUTH\","
            f"\"AuthParameters\":{{\"USERNAME\":\"{bootstrap.DEMO_CUSTOMER_EMAIL}\","
            f"\"PASSWORD\":\"{bootstrap.DEMO_PASSWORD}\"}}}}'"
        )
        logs = f"\n  logs:              {self.log_dir}/" if self.args.quiet else ""
        environment = self.log_dir / "environment"
        try:
            environment_shown = str(environment.relative_to(ROOT))
        except ValueError:
            environment_shown = str(environment)
        say(
            "\n"
            "==================== local stack is up ====================\n"
            f"  API:               {self.api_url}   (GET {self.api_url}/v1/health)\n"
            f"  settings:          GET {self.api_url}/v1/config\n"
            f"  provider console:  {self.api_url}/console/   (sign in as the demo provider below)\n"
            f"  emulated AWS:      {self.aws_endpoint_url}   (region {REGION}, key/secret testing/testing)\n"
            f"  search engine:     {self.search_url}   (index alias {SEARCH_INDEX}; rebuild: make reindex "
            f"REINDEX_ARGS=\"--env-file {environment_shown}\")\n"
            f"  table:             {TABLE_NAME}\n"
            f"  user pool:         {self.user_pool_id}   app client {self.user_pool_client_id}\n"
            f"  demo provider:     {bootstrap.DEMO_PROVIDER_EMAIL} / {bootstrap.DEMO_PASSWORD}\n"
            f"  demo customer:     {bootstrap.DEMO_CUSTOMER_EMAIL} / {bootstrap.DEMO_PASSWORD}"
            f"{logs}\n"
            "\n"
            f"  e-mails sent:      make mail MAIL_ARGS=\"--endpoint {self.aws_endpoint_url}\"   (--show N, --save DIR)\n"
            f"  stream records parked in {DEAD_LETTER_QUEUE_NAME} (their function kept failing):\n"
            f"                     make replay REPLAY_ARGS=\"--env-file {environment_shown}\"   (--dry-run, --max N)\n"
            "\n"
            "  An ID token for the demo provider:\n"
            f"    TOKEN=$({token_py})\n"
            f"    curl -H \"Authorization: Bearer $TOKEN\" {self.api_url}/v1/me/bookings\n"
            "  or with curl only (the token is AuthenticationResult.IdToken):\n"
            f"    {token_curl}\n"
            "\n"
            "  Ctrl-C stops everything.\n"
            "============================================================\n"
        )

    def run(self) -> int:
        self.build_env()
        self.start_moto()
        self.bootstrap()
        self.start_search()
        self.reindex()
        self.start_api()
        self.start_jobs()
        self.start_streams()
        self.write_environment()
        self.seed()
        self.write_state()
        self.banner()
        while True:
            self.check_services()
            time.sleep(0.5)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local.stack", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address the API and emulated AWS bind")
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument("--aws-port", type=int, default=4566)
    parser.add_argument("--search-port", type=int, default=9200)
    parser.add_argument("--no-seed", action="store_true", help="do not load demo data")
    parser.add_argument("--state-file", help="write the stack's addresses and ids here as JSON once it is up")
    parser.add_argument("--quiet", action="store_true", help="children log to files instead of the console")
    parser.add_argument("--log-dir", help="with --quiet: where the logs go (default .local-stack/<api-port>/)")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    stack = Stack(args)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    code = 0
    try:
        stack.run()
    except KeyboardInterrupt:
        say("stack | stopping")
    except StackError as error:
        say(f"stack | FAILED: {error}")
        code = 1
    except Exception:
        import traceback

        say(f"stack | FAILED:\n{traceback.format_exc()}")
        code = 1
    finally:
        # Nothing may interrupt the shutdown itself.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.stop()
    say("stack | stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
