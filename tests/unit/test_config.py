"""Settings come from the environment's variables, named as the fields in capitals."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.config import FUNCTION_REQUIRES, MissingSettings, Settings, check_environment, get_settings

ROOT = Path(__file__).resolve().parents[2]


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


def test_a_switch_is_true_or_false_and_anything_else_names_its_variable():
    assert Settings.from_environment({}).sms_enabled is True
    assert Settings.from_environment({"SMS_ENABLED": " False "}).sms_enabled is False
    assert Settings.from_environment({"SMS_ENABLED": "true"}).sms_enabled is True
    with pytest.raises(ValueError, match="SMS_ENABLED: true or false, not 'no'"):
        Settings.from_environment({"SMS_ENABLED": "no"})


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


# Outside the local stage: no defaults for what says which table, pool and region the function serves.

DEPLOYED = {"STAGE": "dev", "AWS_REGION": "eu-west-1", "TABLE_NAME": "marketplace-dev",
            "USER_POOL_ID": "eu-west-1_abc", "USER_POOL_CLIENT_ID": "client"}
ENTRY_POINTS = ("app", "stream_handlers.audit", "stream_handlers.notifications", "stream_handlers.search_index",
                "scheduled.finish_syncs", "scheduled.refresh_search", "scheduled.release_holds",
                "scheduled.roll_horizon", "scheduled.send_reminders")


def without(*names: str, **extra: str) -> dict:
    return {**{k: v for k, v in DEPLOYED.items() if k not in names}, **extra}


@pytest.mark.parametrize("name", ["TABLE_NAME", "USER_POOL_ID", "USER_POOL_CLIENT_ID", "AWS_REGION"])
def test_each_missing_required_variable_is_named_with_where_it_comes_from(name):
    with pytest.raises(MissingSettings) as missing:
        check_environment(without(name))
    assert missing.value.missing == [name]
    assert name in str(missing.value) and "stage 'dev'" in str(missing.value)
    assert "stack output" in str(missing.value)
    assert isinstance(missing.value, ValueError)


def test_every_missing_variable_is_in_one_message():
    with pytest.raises(MissingSettings) as missing:
        check_environment({"STAGE": "dev"})
    assert missing.value.missing == ["TABLE_NAME", "USER_POOL_ID", "USER_POOL_CLIENT_ID", "AWS_REGION"]
    message = str(missing.value)
    assert all(name in message for name in missing.value.missing)


def test_an_empty_value_is_missing():
    with pytest.raises(MissingSettings, match="TABLE_NAME"):
        check_environment(without(TABLE_NAME="  "))


def test_all_present_is_ok_and_lambdas_default_region_is_honoured():
    settings = check_environment(DEPLOYED)
    assert (settings.stage, settings.table_name, settings.user_pool_id) == ("dev", "marketplace-dev", "eu-west-1_abc")
    only_default = check_environment(without("AWS_REGION", AWS_DEFAULT_REGION="us-east-2"))
    assert only_default.aws_region == "us-east-2"
    both = check_environment(without("AWS_REGION", AWS_REGION="eu-central-1", AWS_DEFAULT_REGION="us-east-2"))
    assert both.aws_region == "eu-central-1"


def test_functions_that_need_more_name_it():
    for function, name in [("stream_handlers.search_index", "SEARCH_ENDPOINT"),
                           ("scheduled.refresh_search", "SEARCH_ENDPOINT"),
                           ("stream_handlers.notifications", "EMAIL_FROM"),
                           ("scheduled.send_reminders", "EMAIL_FROM")]:
        with pytest.raises(MissingSettings) as missing:
            check_environment(DEPLOYED, function=function)
        assert missing.value.missing == [name] and function in str(missing.value)
        check_environment({**DEPLOYED, name: "x"}, function=function)
    # The API answers 503 to searches without the engine; the dead-letter queue is Lambda's, not the functions'.
    for function in ("app", "stream_handlers.audit", "scheduled.release_holds"):
        check_environment(DEPLOYED, function=function)


def test_the_local_stage_keeps_its_defaults():
    for environ in ({}, {"STAGE": "local"}):
        settings = check_environment(environ, function="stream_handlers.search_index")
        assert (settings.stage, settings.table_name, settings.aws_region, settings.user_pool_id) == (
            "local", "marketplace-local", "eu-west-1", "")


def test_a_lambda_without_stage_is_refused_not_taken_for_local():
    with pytest.raises(MissingSettings) as missing:
        check_environment({**without("STAGE"), "AWS_LAMBDA_FUNCTION_NAME": "marketplace-dev-api"}, function="app")
    assert missing.value.missing == ["STAGE"] and "STAGE" in str(missing.value)
    with pytest.raises(MissingSettings) as bare:
        check_environment({"AWS_LAMBDA_FUNCTION_NAME": "f", "AWS_REGION": "eu-west-1"})
    assert bare.value.missing == ["STAGE", "TABLE_NAME", "USER_POOL_ID", "USER_POOL_CLIENT_ID"]
    local_lambda = check_environment({"AWS_LAMBDA_FUNCTION_NAME": "f", "STAGE": "local"})
    assert local_lambda.table_name == "marketplace-local"


def test_number_errors_are_unchanged_outside_local():
    with pytest.raises(ValueError, match="SLOT_HORIZON_DAYS: a whole number, not 'sixty'") as error:
        check_environment({**DEPLOYED, "SLOT_HORIZON_DAYS": "sixty"})
    assert not isinstance(error.value, MissingSettings)


def test_get_settings_refuses_on_first_use(monkeypatch):
    get_settings.cache_clear()
    monkeypatch.setenv("STAGE", "dev")
    monkeypatch.delenv("TABLE_NAME", raising=False)
    try:
        with pytest.raises(MissingSettings, match="TABLE_NAME"):
            get_settings()
    finally:
        get_settings.cache_clear()


def test_the_function_kinds_are_entry_points():
    assert set(FUNCTION_REQUIRES) <= set(ENTRY_POINTS)


def test_every_entry_point_refuses_at_import_with_the_names():
    """In a fresh interpreter, as Lambda's cold start: each entry point's import fails with the message."""
    script = (
        "import importlib, json, sys\n"
        "from chalicelib.config import MissingSettings\n"
        "out = {}\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "        out[name] = None\n"
        "    except MissingSettings as error:\n"
        "        out[name] = error.missing\n"
        "print(json.dumps(out))\n"
    )
    env = {"PATH": os.environ.get("PATH", ""), "STAGE": "dev", "AWS_REGION": "eu-west-1",
           "AWS_LAMBDA_FUNCTION_NAME": "f", "POWERTOOLS_METRICS_DISABLED": "true", "USER_POOL_ID": "p"}
    done = subprocess.run([sys.executable, "-c", script, *ENTRY_POINTS], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    missing = json.loads(done.stdout)
    for name in ENTRY_POINTS:
        assert missing[name] == ["TABLE_NAME", "USER_POOL_CLIENT_ID", *FUNCTION_REQUIRES.get(name, {})], name
    listed = {f"{package}.{path.stem}" for package in ("stream_handlers", "scheduled")
              for path in (ROOT / package).glob("*.py") if path.stem not in ("__init__", "sources", "schedules")}
    assert listed <= set(ENTRY_POINTS)


def test_outside_lambda_importing_an_entry_point_needs_no_settings():
    """`chalice package` imports app.py (stage dev, no settings) to read its routes: that must not fail."""
    env = {"PATH": os.environ.get("PATH", ""), "STAGE": "dev", "AWS_REGION": "eu-west-1",
           "POWERTOOLS_METRICS_DISABLED": "true"}
    done = subprocess.run([sys.executable, "-c", "import app; print('imported')"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0 and "imported" in done.stdout, done.stderr[-2000:]
