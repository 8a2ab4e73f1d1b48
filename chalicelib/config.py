"""Configuration, read once from the environment through one model.

The `local` stage (the local stack, the tests) runs on the defaults below. Any other stage must be given its
settings: a required one that is missing stops the function at start-up (`MissingSettings`, naming every
missing variable and where it comes from) instead of falling back to a local default. Which settings each
function requires is `REQUIRED` and `FUNCTION_REQUIRES`; docs/operations.md ("Settings") has the table.
"""
from __future__ import annotations

import dataclasses
import os
from functools import lru_cache
from typing import Dict, List, Mapping, Optional, Tuple

# A dataclass, not pydantic(-settings): reading a dozen strings must not put pydantic's import
# (~60 ms) on the cold path of a function that would otherwise not need it.


@dataclasses.dataclass(frozen=True)
class Settings:
    """Every setting the functions read; each field is read from its name in capitals (STAGE, ...)."""

    stage: str = "local"
    aws_region: str = "eu-west-1"
    table_name: str = "marketplace-local"
    # Set only where AWS is emulated (the local stage); boto3 and PynamoDB honour it too.
    aws_endpoint_url: Optional[str] = None
    user_pool_id: str = ""
    user_pool_client_id: str = ""
    # Where the pool's signing keys are; derived from the pool when not set.
    jwks_url: Optional[str] = None
    providers_group: str = "providers"
    slot_horizon_days: int = 60
    dynamodb_connect_timeout_seconds: float = 2.0
    dynamodb_read_timeout_seconds: float = 5.0
    # An API request's time for DynamoDB retries (decision 18): none is started once it is spent.
    dynamodb_request_budget_seconds: float = 3.0
    # How long a request may spend laying out slots for a schedule change; the scheduled job does the rest.
    schedule_sync_seconds: float = 10.0
    idempotency_ttl_hours: int = 24
    # Notifications: the verified sender of e-mails, SNS platform applications for push (none: no push),
    # and the queue where stream records that kept failing are parked (see docs/operations.md).
    email_from: str = "bookings@marketplace.example"
    ses_configuration_set: str = ""
    push_apns_application_arn: str = ""
    push_fcm_application_arn: str = ""
    # Off in deployed stages (decision 0013): SNS authorises SMS only with Resource "*". Numbers are still kept.
    sms_enabled: bool = True
    stream_dead_letter_queue_url: str = ""
    # The API's public address, for links that leave the API (the calendar feed); else taken from the request.
    public_api_url: str = ""
    max_body_bytes: int = 16_384
    # Abuse limits (decision "limits in DynamoDB"): live holds a customer may keep at once, and changes
    # (POST/PUT/PATCH/DELETE) a signed-in user may make in one UTC minute.
    max_active_holds: int = 5
    write_rate_per_minute: int = 60
    # The search engine (OpenSearch; an https endpoint outside the local stage is signed with SigV4) and the
    # alias searches read; empty: search answers 503 in this stage.
    search_endpoint: str = ""
    search_index: str = "providers"
    search_timeout_seconds: float = 5.0

    @classmethod
    def from_environment(cls, environ: Optional[Mapping[str, str]] = None) -> Settings:
        """The settings an environment (by default this process's) sets; the rest keep their defaults."""
        environ = os.environ if environ is None else environ
        values = {}
        for field in dataclasses.fields(cls):
            name = field.name.upper()
            if name not in environ:
                # Lambda sets both AWS_REGION and AWS_DEFAULT_REGION; boto3 reads the latter.
                if name == "AWS_REGION" and environ.get("AWS_DEFAULT_REGION"):
                    values[field.name] = environ["AWS_DEFAULT_REGION"]
                continue
            text = environ[name]
            if field.type in (int, "int"):
                values[field.name] = _number(name, text, int, "a whole number")
            elif field.type in (float, "float"):
                values[field.name] = _number(name, text, float, "a number")
            elif field.type in (bool, "bool"):
                values[field.name] = _flag(name, text)
            else:
                values[field.name] = text
        return cls(**values)

    @property
    def issuer(self) -> str:
        """The `iss` every ID token of the pool carries."""
        return f"https://cognito-idp.{self.aws_region}.amazonaws.com/{self.user_pool_id}"

    @property
    def resolved_jwks_url(self) -> str:
        """The JWKS address: emulated AWS serves it under the endpoint, AWS under the issuer."""
        if self.jwks_url:
            return self.jwks_url
        if self.aws_endpoint_url:
            return f"{self.aws_endpoint_url.rstrip('/')}/{self.user_pool_id}/.well-known/jwks.json"
        return f"{self.issuer}/.well-known/jwks.json"


def _number(name: str, text: str, kind: type, what: str):
    try:
        return kind(text.strip())
    except ValueError:
        raise ValueError(f"environment variable {name}: {what}, not {text!r}") from None


def _flag(name: str, text: str) -> bool:
    word = text.strip().lower()
    if word not in ("true", "false"):
        raise ValueError(f"environment variable {name}: true or false, not {text!r}")
    return word == "true"


LOCAL_STAGE = "local"

#: Every function of every stage but `local`: each variable, and where a deployed function gets it.
REQUIRED: Dict[str, str] = {
    "TABLE_NAME": "the table's name: the template's function environment (stack output TableName)",
    "USER_POOL_ID": "the Cognito user pool: the template's function environment (stack output UserPoolId)",
    "USER_POOL_CLIENT_ID": "the user pool's app client: the template's function environment "
                           "(stack output UserPoolClientId)",
    "AWS_REGION": "the region (AWS_REGION or AWS_DEFAULT_REGION): set by Lambda itself; elsewhere the stack "
                  "output Region",
}

#: What a function needs beyond `REQUIRED`, by entry-point module: the search functions do nothing without the
#: engine, the e-mailing ones would send from the local placeholder address (SES refuses unverified senders).
FUNCTION_REQUIRES: Dict[str, Dict[str, str]] = {
    "stream_handlers.search_index": {
        "SEARCH_ENDPOINT": "the search domain: the template's function environment (stack output SearchEndpoint)",
    },
    "scheduled.refresh_search": {
        "SEARCH_ENDPOINT": "the search domain: the template's function environment (stack output SearchEndpoint)",
    },
    "stream_handlers.notifications": {
        "EMAIL_FROM": "the verified SES sender: the template's function environment (stack parameter EmailFrom)",
    },
    "scheduled.send_reminders": {
        "EMAIL_FROM": "the verified SES sender: the template's function environment (stack parameter EmailFrom)",
    },
}

_STAGE_SOURCE = ("the stage's name: the template's function environment (stack parameter Stage); a Lambda "
                 "function without it is not taken for the local stage")


class MissingSettings(ValueError):
    """Required settings that are not in the environment: every one of them, in one message."""

    def __init__(self, stage: Optional[str], missing: List[Tuple[str, str]], function: Optional[str] = None) -> None:
        self.stage = stage
        self.missing = [name for name, _ in missing]
        self.function = function
        where = (f"stage {stage!r}" if stage is not None else "no stage, in Lambda") + (
            f", function {function}" if function else "")
        lines = "".join(f"\n  {name}: {source}" for name, source in missing)
        super().__init__(
            f"missing settings ({where}): {', '.join(self.missing)} not set or empty; outside the local stage "
            f"there is no default for them. Set each in the function's environment:{lines}"
        )


def _set(environ: Mapping[str, str], name: str) -> bool:
    return bool(environ.get(name, "").strip())


def check_environment(environ: Optional[Mapping[str, str]] = None, function: Optional[str] = None) -> Settings:
    """The environment's settings, or `MissingSettings` when the stage needs one that is not set.

    `function` is the entry-point module (`app`, `stream_handlers.audit`, ...); it adds that function's own
    requirements (`FUNCTION_REQUIRES`). A missing STAGE is the local stage, except in Lambda
    (AWS_LAMBDA_FUNCTION_NAME is set), where it is itself a missing setting.
    """
    environ = os.environ if environ is None else environ
    in_lambda = _set(environ, "AWS_LAMBDA_FUNCTION_NAME")
    stage: Optional[str] = None
    if not _set(environ, "STAGE") and in_lambda:
        required = {"STAGE": _STAGE_SOURCE, **REQUIRED, **FUNCTION_REQUIRES.get(function or "", {})}
    else:
        settings = Settings.from_environment(environ)
        if settings.stage == LOCAL_STAGE:
            return settings
        required = {**REQUIRED, **FUNCTION_REQUIRES.get(function or "", {})}
        stage = settings.stage
    missing = [(name, source) for name, source in required.items()
               if not (_set(environ, name) or (name == "AWS_REGION" and _set(environ, "AWS_DEFAULT_REGION")))]
    if missing:
        raise MissingSettings(stage, missing, function)
    return Settings.from_environment(environ)


def require_settings(function: str) -> None:
    """At the import of a Lambda entry point: fail the cold start, not a later request, if settings are missing.

    Only inside Lambda (AWS_LAMBDA_FUNCTION_NAME set): tools that import an entry point without running it
    (`chalice package` imports app.py to read its routes) need no settings. Reads the environment without
    caching it; get_settings() still checks on first use, anywhere.
    """
    if _set(os.environ, "AWS_LAMBDA_FUNCTION_NAME"):
        check_environment(function=function)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; `MissingSettings` if a required one is not set (see `check_environment`)."""
    return check_environment()
