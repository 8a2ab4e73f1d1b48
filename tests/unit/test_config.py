"""Settings come from the environment's variables, named as the fields in capitals."""
import pytest

from chalicelib.config import Settings, get_settings


def test_defaults_when_nothing_is_set():
    settings = Settings.from_environment({})
    assert (settings.stage, settings.table_name, settings.aws_region) == ("local", "marketplace-local", "eu-west-1")
    assert settings.aws_endpoint_url is None and settings.jwks_url is None
    assert (settings.slot_horizon_days, settings.idempotency_ttl_hours, settings.max_body_bytes) == (60, 24, 16_384)


def test_each_field_is_read_from_its_variable_and_numbers_are_parsed():
    settings = Settings.from_environment({
        "STAGE": "dev", "AWS_REGION": "us-east-1", "TABLE_NAME": "t", "USER_POOL_ID": "us-east-1_abc",
        "USER_POOL_CLIENT_ID": "client", "PROVIDERS_GROUP": "pros", "SLOT_HORIZON_DAYS": "30",
        "IDEMPOTENCY_TTL_HOURS": " 12 ", "MAX_BODY_BYTES": "1024", "UNRELATED": "ignored",
    })
    assert settings == Settings(stage="dev", aws_region="us-east-1", table_name="t", user_pool_id="us-east-1_abc",
                                user_pool_client_id="client", providers_group="pros", slot_horizon_days=30,
                                idempotency_ttl_hours=12, max_body_bytes=1024)


def test_a_number_that_is_not_one_names_its_variable():
    with pytest.raises(ValueError, match="SLOT_HORIZON_DAYS"):
        Settings.from_environment({"SLOT_HORIZON_DAYS": "sixty"})


def test_issuer_and_jwks_address():
    aws = Settings.from_environment({"AWS_REGION": "eu-west-1", "USER_POOL_ID": "eu-west-1_abc"})
    assert aws.issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
    assert aws.resolved_jwks_url == aws.issuer + "/.well-known/jwks.json"
    emulated = Settings.from_environment({"USER_POOL_ID": "p", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566/"})
    assert emulated.resolved_jwks_url == "http://127.0.0.1:4566/p/.well-known/jwks.json"
    explicit = Settings.from_environment({"JWKS_URL": "http://keys.example/jwks.json", "AWS_ENDPOINT_URL": "x"})
    assert explicit.resolved_jwks_url == "http://keys.example/jwks.json"


def test_the_process_settings_are_read_once(monkeypatch):
    get_settings.cache_clear()
    monkeypatch.setenv("TABLE_NAME", "first")
    try:
        assert get_settings().table_name == "first"
        monkeypatch.setenv("TABLE_NAME", "second")
        assert get_settings() is get_settings() and get_settings().table_name == "first"
    finally:
        get_settings.cache_clear()
