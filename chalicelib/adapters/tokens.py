"""Verification of Cognito ID tokens: signature against the pool's cached JWKS, issuer, audience, use, expiry.

PyJWT and its crypto are imported on the first token, not at import: a cold function serving a public
route never pays for them.
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Optional

from chalicelib.config import get_settings
from chalicelib.domain.entities import Caller
from chalicelib.domain.errors import AccessTokenSent, NotAnIdToken, SignInKeysUnreachable, TokenExpired

if TYPE_CHECKING:
    from jwt import PyJWKClient


@lru_cache(maxsize=4)
def jwks_client(url: str) -> "PyJWKClient":
    """The signing keys published at `url`, cached; an unknown kid refetches (rotation), rate-limited by PyJWT."""
    from jwt import PyJWKClient

    return PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=5)


def verify_id_token(token: str) -> Caller:
    """The caller a valid ID token names; Unauthenticated for anything else."""
    import jwt

    settings = get_settings()
    try:
        key = jwks_client(settings.resolved_jwks_url).get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token, key.key, algorithms=["RS256"], audience=settings.user_pool_client_id, issuer=settings.issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "token_use"]}, leeway=5)
    except jwt.PyJWKClientConnectionError:
        raise SignInKeysUnreachable() from None
    except jwt.ExpiredSignatureError:
        raise TokenExpired() from None
    except (jwt.PyJWKClientError, jwt.InvalidTokenError):
        # A Cognito access token has no `aud`, so it fails above before its use is looked at.
        if _unverified_use(token) == "access":
            raise AccessTokenSent() from None
        raise NotAnIdToken() from None
    if claims.get("token_use") != "id":
        raise AccessTokenSent() if claims.get("token_use") == "access" else NotAnIdToken()
    groups = claims.get("cognito:groups") or []
    return Caller(user_id=str(claims["sub"]), email=str(claims.get("email", "")),
                  groups=frozenset(g for g in groups if isinstance(g, str)))


def _unverified_use(token: str) -> Optional[str]:
    """The `token_use` a token claims, unverified: it only chooses the words of a refusal."""
    import jwt

    try:
        use = jwt.decode(token, options={"verify_signature": False}).get("token_use")
    except jwt.InvalidTokenError:
        return None
    return use if isinstance(use, str) else None
