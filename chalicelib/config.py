"""Configuration, read once from the environment through one model."""
from __future__ import annotations

import dataclasses
import os
from functools import lru_cache
from typing import Mapping, Optional

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
    # How long a request may spend laying out slots for a schedule change; the scheduled job does the rest.
    schedule_sync_seconds: float = 10.0
    idempotency_ttl_hours: int = 24
    # Notifications: the verified sender of e-mails, SNS platform applications for push (none: no push),
    # and the queue where stream records that kept failing are parked (see docs/operations.md).
    email_from: str = "bookings@marketplace.example"
    ses_configuration_set: str = ""
    push_apns_application_arn: str = ""
    push_fcm_application_arn: str = ""
    stream_dead_letter_queue_url: str = ""
    # The API's public address, for links that leave the API (the calendar feed); else taken from the request.
    public_api_url: str = ""
    max_body_bytes: int = 16_384
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
                continue
            text = environ[name]
            if field.type in (int, "int"):
                values[field.name] = _number(name, text, int, "a whole number")
            elif field.type in (float, "float"):
                values[field.name] = _number(name, text, float, "a number")
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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings.from_environment()
