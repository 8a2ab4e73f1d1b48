"""Verification of Cognito ID tokens: signature against the pool's cached JWKS, issuer, audience, use, expiry."""
from __future__ import annotations

from typing import Optional

import jwt
from jwt import PyJWKClient

from chalicelib.config import get_settings
from chalicelib.domain.errors import TryAgain, Unauthenticated
from chalicelib.domain.model import Caller

_jwks: Optional[PyJWKClient] = None
NOT_AN_ID_TOKEN = "this is an access token; send the ID token (IdToken of the sign-in answer) instead"


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
        # A Cognito access token has no `aud`, so it fails above before its use is looked at.
        if _unverified_use(token) == "access":
            raise Unauthenticated(NOT_AN_ID_TOKEN)
        raise Unauthenticated("the token is not a valid ID token of this service; sign in again")
    if claims.get("token_use") != "id":
        raise Unauthenticated(NOT_AN_ID_TOKEN if claims.get("token_use") == "access"
                              else "the token is not an ID token; send the ID token of the sign-in answer")
    groups = claims.get("cognito:groups") or []
    return Caller(user_id=str(claims["sub"]), email=str(claims.get("email", "")),
                  groups=frozenset(g for g in groups if isinstance(g, str)))


def _unverified_use(token: str) -> Optional[str]:
    """The `token_use` a token claims, unverified: it only chooses the words of a refusal."""
    try:
        use = jwt.decode(token, options={"verify_signature": False}).get("token_use")
    except jwt.InvalidTokenError:
        return None
    return use if isinstance(use, str) else None
