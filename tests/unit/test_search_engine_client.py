"""The search client: signed with SigV4 for Amazon OpenSearch Service, plain for the local engine."""
from __future__ import annotations

import pytest

from chalicelib.adapters import search
from chalicelib.config import get_settings


@pytest.fixture()
def settings(monkeypatch):
    def use(**values: str) -> None:
        for name in ("AWS_ENDPOINT_URL", "SEARCH_ENDPOINT"):
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        search.reset()

    yield use
    get_settings.cache_clear()
    search.reset()


def test_an_aws_endpoint_gets_requests_signed_for_the_es_service(settings):
    # Given a stage on AWS: an https endpoint, the function role's credentials in the environment
    settings(SEARCH_ENDPOINT="https://search-marketplace-abc.eu-west-1.es.amazonaws.com", AWS_REGION="eu-west-1",
             AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret", AWS_SESSION_TOKEN="token")
    # When a request is prepared
    auth = search.client().transport.kwargs["http_auth"]
    headers = auth("GET", "https://search-marketplace-abc.eu-west-1.es.amazonaws.com/providers/_search", b"{}")
    # Then it carries a SigV4 signature for the es service in the stage's region, with the session token
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/es/aws4_request" in headers["Authorization"]
    assert headers["X-Amz-Security-Token"] == "token"


def test_the_local_engine_gets_plain_requests(settings):
    settings(SEARCH_ENDPOINT="http://127.0.0.1:9200", AWS_ENDPOINT_URL="http://127.0.0.1:4566")
    assert search.client().transport.kwargs.get("http_auth") is None


def test_no_endpoint_means_search_is_unavailable_not_a_crash(settings):
    settings()
    with pytest.raises(search.SearchUnavailable):
        search.client()
