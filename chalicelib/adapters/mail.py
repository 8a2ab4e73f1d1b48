"""E-mail out through Amazon SES (raw MIME, so the .ics travels as an attachment)."""
from __future__ import annotations

from chalicelib.adapters import aws
from chalicelib.config import get_settings
from chalicelib.domain.errors import DeliveryRefused


def send(recipient: str, message: bytes) -> str:
    """Send one composed message to one recipient; SES's message id. DeliveryRefused if SES will never take it."""
    settings = get_settings()
    request = {"Source": settings.email_from, "Destinations": [recipient], "RawMessage": {"Data": message}}
    if settings.ses_configuration_set:
        request["ConfigurationSetName"] = settings.ses_configuration_set
    try:
        return aws.client("ses").send_raw_email(**request)["MessageId"]
    except Exception as error:
        # A bad address is the recipient's, not a fault to retry; anything else (throttling, an unverified
        # sender, SES down) fails the delivery so that it is tried again.
        if aws.error_code(error) == "InvalidParameterValue":
            raise DeliveryRefused(f"SES refused the address: {error}") from error
        raise
