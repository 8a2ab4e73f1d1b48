"""The local stack and the templates create the user pool and the dead-letter queue from one declaration."""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

from chalicelib.adapters.user_pool import PROVIDERS_GROUP, client_properties, group_properties, user_pool_properties
from chalicelib.config import Settings
from infra.resources import generated_template
from local import bootstrap
from stream_handlers.sources import DEAD_LETTER_QUEUE


class Recorder:
    """A client that answers the calls the bootstrap makes and keeps their arguments."""

    def __init__(self) -> None:
        self.calls: List[Tuple[str, Dict[str, Any]]] = []

        class Exceptions:
            GroupExistsException = type("GroupExistsException", (Exception,), {})

        self.exceptions = Exceptions

    def get_paginator(self, _name: str):
        return type("P", (), {"paginate": lambda *_a, **_k: [{"UserPools": [], "UserPoolClients": []}]})()

    def __getattr__(self, operation: str):
        def call(**kwargs):
            self.calls.append((operation, kwargs))
            return {"UserPool": {"Id": "pool-1"}, "UserPoolClient": {"ClientId": "client-1"}, "QueueUrl": "url"}
        return call

    def arguments(self, operation: str) -> Dict[str, Any]:
        return next(kwargs for name, kwargs in self.calls if name == operation)


def resources() -> Dict[str, Any]:
    return generated_template("dev")["Resources"]


def test_the_local_pool_is_created_with_the_templates_properties():
    # Given the template's user pool; When the local bootstrap creates a pool named "demo"
    cognito = Recorder()
    assert bootstrap.create_user_pool(cognito, "demo") == ("pool-1", "client-1")
    # Then every property but the name is the template's, under the API's name for it
    template = dict(resources()["UserPool"]["Properties"])
    local = dict(cognito.arguments("create_user_pool"))
    assert local.pop("PoolName") == "demo" and template.pop("UserPoolName") == {"Fn::Sub": "marketplace-${Stage}"}
    assert local == template
    assert local["Policies"]["PasswordPolicy"]["RequireSymbols"] is True


def test_the_local_group_and_client_are_the_templates():
    cognito = Recorder()
    bootstrap.create_user_pool(cognito, "demo")
    group = dict(resources()["ProvidersGroup"]["Properties"])
    assert group.pop("UserPoolId") == {"Ref": "UserPool"}
    assert cognito.arguments("create_group") == {"UserPoolId": "pool-1", **group}
    client = dict(resources()["UserPoolClient"]["Properties"])
    assert client.pop("UserPoolId") == {"Ref": "UserPool"} and client.pop("ClientName")
    local = dict(cognito.arguments("create_user_pool_client"))
    assert local.pop("ClientName") == "demo" and local.pop("UserPoolId") == "pool-1"
    assert local == client
    assert client["GenerateSecret"] is False and client["PreventUserExistenceErrors"] == "ENABLED"


def test_the_group_the_app_checks_is_the_group_the_pool_has():
    assert group_properties()["GroupName"] == PROVIDERS_GROUP == Settings().providers_group
    assert user_pool_properties("x")["UserPoolName"] == "x" and client_properties("x")["ClientName"] == "x"


def test_the_local_dead_letter_queue_has_the_templates_settings():
    sqs = Recorder()
    bootstrap.create_queue(sqs, "dead-letters")
    template = resources()["StreamDeadLetterQueue"]["Properties"]
    assert template == DEAD_LETTER_QUEUE
    attributes = sqs.arguments("create_queue")["Attributes"]
    assert attributes == {name: str(value).lower() if isinstance(value, bool) else str(value)
                          for name, value in template.items()}
    assert attributes["MessageRetentionPeriod"] == "1209600" and attributes["SqsManagedSseEnabled"] == "true"


def test_no_deployed_function_sends_sms():
    # Decision 0013: no policy may grant sns:Publish on "*", which SMS to a number needs.
    functions = {name: body for name, body in resources().items() if "Environment" in body.get("Properties", {})}
    assert {"APIHandler", "NotificationsFunction"} <= set(functions)
    for name, body in functions.items():
        assert body["Properties"]["Environment"]["Variables"]["SMS_ENABLED"] == "false", name
