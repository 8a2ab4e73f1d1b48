"""Who may touch what: the contract's ownership rules in one place."""
from __future__ import annotations

from chalicelib.config import get_settings
from chalicelib.domain.entities import Caller, Provider
from chalicelib.domain.errors import Forbidden, NotFound
from chalicelib.service.stores import provider_store


def require_provider_group(caller: Caller) -> None:
    """Only members of the providers group may create providers."""
    if get_settings().providers_group not in caller.groups:
        raise Forbidden("only accounts in the providers group may create providers")


def find_provider(provider_id: str) -> Provider:
    """The provider, or 404."""
    provider = provider_store.get_provider(provider_id)
    if provider is None:
        raise NotFound(f"no provider {provider_id}")
    return provider


def require_owner(caller: Caller, provider: Provider) -> Provider:
    """The provider if the caller owns it; 403 when it is someone else's."""
    if provider.owner_id != caller.user_id:
        raise Forbidden("only the provider's owner may do this")
    return provider


def owned_provider(caller: Caller, provider_id: str) -> Provider:
    """The provider if the caller owns it; 404 when unknown, 403 when someone else's."""
    return require_owner(caller, find_provider(provider_id))
