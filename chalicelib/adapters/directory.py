"""The user directory (the Cognito user pool): where a user's e-mail address is."""
from __future__ import annotations

import threading
import time
from typing import Dict, Optional, Tuple

from chalicelib.adapters import aws
from chalicelib.config import get_settings

# Addresses change rarely; a warm function asks the pool again after this many seconds.
CACHE_SECONDS = 300
_lock = threading.Lock()
_cache: Dict[str, Tuple[float, Optional[str]]] = {}


def email_of(user_id: str) -> Optional[str]:
    """The verified-or-not e-mail of a user (their token's `sub`), or None for an unknown user."""
    now = time.monotonic()
    with _lock:
        cached = _cache.get(user_id)
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    email = _look_up(user_id)
    with _lock:
        _cache[user_id] = (now, email)
    return email


def _look_up(user_id: str) -> Optional[str]:
    # With e-mail as the pool's username attribute, a user's username is their sub (in Cognito and moto).
    try:
        user = aws.client("cognito-idp").admin_get_user(UserPoolId=get_settings().user_pool_id, Username=user_id)
    except Exception as error:
        if aws.error_code(error) == "UserNotFoundException":
            return None
        raise
    for attribute in user.get("UserAttributes", []):
        if attribute["Name"] == "email":
            return attribute["Value"]
    return None


def forget() -> None:
    """Empty the cache (tests)."""
    with _lock:
        _cache.clear()
