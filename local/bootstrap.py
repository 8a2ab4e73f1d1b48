"""Create what the local stack (and the end-to-end tests) need in emulated AWS.

Every function takes a boto3 client that the caller made (and pointed at the endpoint it wants),
so the same code serves the stack, the tests and anyone poking at moto by hand.
"""
from __future__ import annotations

from typing import Dict, Iterable, Tuple

from chalicelib.adapters.table import create_table_request, time_to_live_request
from chalicelib.adapters.user_pool import (  # noqa: F401 (PROVIDERS_GROUP: the tests' and the stack's name for it)
    PROVIDERS_GROUP, client_properties, create_user_pool_request, group_properties)
from stream_handlers.sources import dead_letter_queue_attributes

DEMO_PROVIDER_EMAIL = "provider@demo.example"
DEMO_CUSTOMER_EMAIL = "customer@demo.example"
DEMO_PASSWORD = "Demo-pass-2026!"



def create_table(dynamodb_client, table_name: str) -> None:
    """Create the one table (see chalicelib/adapters/table.py), wait for it, turn TTL on.

    Idempotent: an existing table is left as it is (TTL is still ensured).
    """
    try:
        dynamodb_client.create_table(**create_table_request(table_name))
    except dynamodb_client.exceptions.ResourceInUseException:
        pass  # already there
    dynamodb_client.get_waiter("table_exists").wait(
        TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    ttl = dynamodb_client.describe_time_to_live(TableName=table_name)
    status = ttl.get("TimeToLiveDescription", {}).get("TimeToLiveStatus")
    if status not in ("ENABLED", "ENABLING"):
        dynamodb_client.update_time_to_live(**time_to_live_request(table_name))


def create_queue(sqs_client, name: str) -> str:
    """The stream functions' dead-letter queue as stream_handlers/sources.py declares it; its URL. Idempotent."""
    return sqs_client.create_queue(QueueName=name, Attributes=dead_letter_queue_attributes())["QueueUrl"]


def verify_sender(ses_client, email: str) -> None:
    """Let SES send from this address (emulated SES verifies at once)."""
    ses_client.verify_email_identity(EmailAddress=email)


def create_push_applications(sns_client, name: str) -> Dict[str, str]:
    """SNS platform applications for Apple (APNS) and Android (GCM, i.e. FCM) push; returns their ARNs by platform.

    Idempotent by name: existing applications are reused.
    """
    existing = {}
    for page in sns_client.get_paginator("list_platform_applications").paginate():
        for application in page["PlatformApplications"]:
            existing[application["PlatformApplicationArn"].split(":")[-1]] = application["PlatformApplicationArn"]
    arns = {}
    for platform, suffix in (("APNS", "apns"), ("GCM", "fcm")):
        app_name = f"{name}-{suffix}"
        arns[platform] = existing.get(f"app/{platform}/{app_name}") or sns_client.create_platform_application(
            Name=app_name, Platform=platform, Attributes={}
        )["PlatformApplicationArn"]
    return arns


def _find_user_pool(cognito_client, name: str):
    for page in cognito_client.get_paginator("list_user_pools").paginate(MaxResults=60):
        for pool in page["UserPools"]:
            if pool["Name"] == name:
                return pool["Id"]
    return None


def _find_client(cognito_client, user_pool_id: str, name: str):
    for page in cognito_client.get_paginator("list_user_pool_clients").paginate(
        UserPoolId=user_pool_id, MaxResults=60
    ):
        for client in page["UserPoolClients"]:
            if client["ClientName"] == name:
                return client["ClientId"]
    return None


def create_user_pool(cognito_client, name: str) -> Tuple[str, str]:
    """The user pool, its `providers` group and app client as chalicelib/adapters/user_pool.py declares them.

    Returns ``(user_pool_id, client_id)``. Idempotent by name: an existing pool (and client of
    the same name) is reused.
    """
    user_pool_id = _find_user_pool(cognito_client, name)
    if user_pool_id is None:
        user_pool_id = cognito_client.create_user_pool(**create_user_pool_request(name))["UserPool"]["Id"]
    try:
        cognito_client.create_group(UserPoolId=user_pool_id, **group_properties())
    except cognito_client.exceptions.GroupExistsException:
        pass
    client_id = _find_client(cognito_client, user_pool_id, name)
    if client_id is None:
        client_id = cognito_client.create_user_pool_client(
            UserPoolId=user_pool_id, **client_properties(name))["UserPoolClient"]["ClientId"]
    return user_pool_id, client_id


def _sub(user_attributes) -> str:
    for attribute in user_attributes:
        if attribute["Name"] == "sub":
            return attribute["Value"]
    raise RuntimeError("the user has no sub attribute")


def ensure_user(
    cognito_client,
    user_pool_id: str,
    email: str,
    password: str,
    groups: Iterable[str] = (),
) -> str:
    """A confirmed user with a permanent password, in ``groups``; returns its ``sub``.

    Idempotent: an existing user gets the password and groups again.
    """
    try:
        cognito_client.admin_create_user(
            UserPoolId=user_pool_id,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )
    except cognito_client.exceptions.UsernameExistsException:
        pass
    cognito_client.admin_set_user_password(
        UserPoolId=user_pool_id, Username=email, Password=password, Permanent=True
    )
    for group in groups:
        cognito_client.admin_add_user_to_group(
            UserPoolId=user_pool_id, Username=email, GroupName=group
        )
    user = cognito_client.admin_get_user(UserPoolId=user_pool_id, Username=email)
    return _sub(user["UserAttributes"])


def sign_in(cognito_client, client_id: str, email: str, password: str) -> str:
    """The ID token of a password sign-in (USER_PASSWORD_AUTH)."""
    response = cognito_client.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    if "AuthenticationResult" not in response:
        raise RuntimeError(f"sign-in of {email} asked for a challenge: {response.get('ChallengeName')}")
    return response["AuthenticationResult"]["IdToken"]


def serve_jwks():
    """Publish in-process moto's pool signing keys on a loopback port (it serves no HTTP); (url, server)."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from moto.utilities.utils import load_resource

    keys = json.dumps(load_resource("cognitoidp/resources/jwks-public.json")).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(keys)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}/jwks.json", server
