"""Verification of Cognito ID tokens: signature against the pool's cached JWKS, issuer, audience, use, expiry."""
from __future__ import annotations

from typing import Optional

import jwt
from jwt import PyJWKClient

from chalicelib.config import get_settings
from chalicelib.domain.errors import TryAgain, Unauthenticated
from chalicelib.domain.model import Caller

_jwks: Optional[PyJWKClient] = None


def _jwks_client() -> PyJWKClient:
    global _jwks
    if _jwks is None:
        # Keys are cached; an unknown kid refetches (key rotation), rate-limited by PyJWT.
        _jwks = PyJWKClient(get_settings().resolved_jwks_url, cache_keys=True, lifespan=3600, timeout=5)
    return _jwks


def verify_id_token(token: str) -> Caller:
    """The caller a valid ID token names; Unauthenticated for anything else."""
    settings = get_settings()
    try:
        key = _jwks_client().get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token, key.key, algorithms=["RS256"], audience=settings.user_pool_client_id, issuer=settings.issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "token_use"]}, leeway=5)
    except jwt.PyJWKClientConnectionError:
        raise TryAgain("sign-in keys are unreachable right now; try again shortly")
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired; sign in again")
    except (jwt.PyJWKClientError, jwt.InvalidTokenError):
        raise Unauthenticated("the token is not a valid ID token of this service; sign in again")
    if claims.get("token_use") != "id":
        raise Unauthenticated("send the ID token, not the access token")
    groups = claims.get("cognito:groups") or []
    return Caller(user_id=str(claims["sub"]), email=str(claims.get("email", "")),
                  groups=frozenset(g for g in groups if isinstance(g, str)))
