"""A real Cognito access token where the ID token belongs: refused, with a message that says which to send."""
from __future__ import annotations

import jwt

from local import bootstrap
from tests.integration.conftest import PASSWORD, call


def sign_in_tokens(aws, email: str) -> dict:
    bootstrap.ensure_user(aws["cognito"], aws["pool_id"], email, PASSWORD)
    return aws["cognito"].initiate_auth(
        ClientId=aws["client_id"], AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})["AuthenticationResult"]


def test_an_access_token_is_refused_with_a_message_naming_the_id_token(client, aws):
    tokens = sign_in_tokens(aws, "access@tokens.test")
    access = tokens["AccessToken"]
    assert jwt.decode(access, options={"verify_signature": False})["token_use"] == "access"
    for method, path in (("GET", "/v1/me/bookings"), ("POST", "/v1/holds")):
        status, data, _ = call(client, method, path, body={}, headers={"Authorization": f"Bearer {access}"})
        assert status == 401, data
        assert data["error"]["code"] == "unauthenticated"
        message = data["error"]["message"]
        assert "access token" in message and "ID token" in message, message
    # The ID token of the same sign-in is accepted.
    status, data, _ = call(client, "GET", "/v1/me/bookings", headers={"Authorization": f"Bearer {tokens['IdToken']}"})
    assert status == 200, data


def test_other_bad_tokens_keep_the_general_message(client, aws):
    status, data, _ = call(client, "GET", "/v1/me/bookings", headers={"Authorization": "Bearer a.b.c"})
    assert status == 401 and "access token" not in data["error"]["message"], data
