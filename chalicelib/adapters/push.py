"""Push notifications and SMS through Amazon SNS."""
from __future__ import annotations

import json
from typing import Any, Dict

from chalicelib.adapters import aws
from chalicelib.config import get_settings
from chalicelib.domain.errors import DeliveryRefused
from chalicelib.domain.notices import Device

# Errors that say this device or number will never take the message: not worth a retry.
PERMANENT = frozenset({"EndpointDisabled", "EndpointDisabledException", "InvalidParameter",
                       "InvalidParameterException", "InvalidParameterValue", "OptedOut", "NotFound"})


def _application(platform: str) -> str:
    settings = get_settings()
    return settings.push_apns_application_arn if platform == "apns" else settings.push_fcm_application_arn


def can_push(device: Device) -> bool:
    """Whether this deployment has a platform application for the device's platform."""
    return bool(_application(device.platform))


def push(device: Device, title: str, body: str, data: Dict[str, Any]) -> str:
    """Send a push to one device; SNS's message id."""
    sns = aws.client("sns")
    payload = {
        "default": body,
        "APNS": json.dumps({"aps": {"alert": {"title": title, "body": body}}, **data}),
        "GCM": json.dumps({"notification": {"title": title, "body": body}, "data": data}),
    }
    try:
        # Idempotent in SNS: the same token gives the same endpoint.
        endpoint = sns.create_platform_endpoint(PlatformApplicationArn=_application(device.platform),
                                                Token=device.token)["EndpointArn"]
        return sns.publish(TargetArn=endpoint, MessageStructure="json", Message=json.dumps(payload))["MessageId"]
    except Exception as error:
        if aws.error_code(error) in PERMANENT:
            raise DeliveryRefused(f"SNS refused the device: {aws.error_code(error)}") from error
        raise


def can_sms() -> bool:
    """Whether this deployment sends SMS (SMS_ENABLED; off in deployed stages, decision 0013)."""
    return get_settings().sms_enabled


def sms(phone: str, text: str) -> str:
    """Send one SMS; SNS's message id."""
    try:
        return aws.client("sns").publish(PhoneNumber=phone, Message=text, MessageAttributes={
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}})["MessageId"]
    except Exception as error:
        if aws.error_code(error) in PERMANENT:
            raise DeliveryRefused(f"SNS refused the number: {aws.error_code(error)}") from error
        raise
