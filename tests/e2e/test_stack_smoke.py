"""The local stack comes up whole: the API answers, is wired to the emulated Cognito, tokens work."""
from __future__ import annotations

import base64
import json

import jwt


def _segment(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_health_answers_200(api):
    response = api.get("/v1/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_config_names_the_pool_the_stack_created(api, stack):
    response = api.get("/v1/config")

    assert response.status_code == 200
    config = response.json()
    assert config["user_pool_id"] == stack.user_pool_id
    assert config["user_pool_client_id"] == stack.user_pool_client_id
    assert config["region"] == stack.region
    assert config["aws_endpoint_url"] == stack.aws_endpoint_url


def test_a_created_user_gets_a_three_part_id_token(users, stack):
    user = users()

    parts = user.id_token.split(".")
    assert len(parts) == 3 and all(parts)
    header, claims = _segment(parts[0]), _segment(parts[1])
    assert header["alg"] == "RS256"
    assert claims["token_use"] == "id"
    assert claims["sub"] == user.sub
    assert claims["email"] == user.email
    assert claims["aud"] == stack.user_pool_client_id
    assert user.headers == {"Authorization": f"Bearer {user.id_token}"}


def test_a_provider_token_verifies_against_the_pool_jwks_and_names_the_group(users, stack):
    provider = users(provider=True)

    jwks = jwt.PyJWKClient(f"{stack.aws_endpoint_url}/{stack.user_pool_id}/.well-known/jwks.json")
    key = jwks.get_signing_key_from_jwt(provider.id_token)
    claims = jwt.decode(
        provider.id_token,
        key.key,
        algorithms=["RS256"],
        audience=stack.user_pool_client_id,
        issuer=f"https://cognito-idp.{stack.region}.amazonaws.com/{stack.user_pool_id}",
    )
    assert claims["sub"] == provider.sub
    assert "providers" in claims["cognito:groups"]


def test_every_user_is_new(users):
    first, second = users(), users()

    assert first.email != second.email
    assert first.sub != second.sub
