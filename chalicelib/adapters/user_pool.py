"""The user pool, its `providers` group and the app client: one declaration for infra/ and the local stack.

The properties are CloudFormation's (AWS::Cognito::UserPool, UserPoolGroup, UserPoolClient); the local stack
turns them into Cognito API requests with the functions below, so an emulated pool signs in, refuses
passwords and names its groups exactly as a deployed one does.
"""
from __future__ import annotations

from typing import Any, Dict

#: The group whose members may create and run provider profiles (chalicelib/config.py PROVIDERS_GROUP).
PROVIDERS_GROUP = "providers"


def user_pool_properties(name: Any) -> Dict[str, Any]:
    """The pool: people sign in with their e-mail address, any case; passwords of 8+ with all four kinds."""
    return {
        "UserPoolName": name,
        "UsernameAttributes": ["email"],
        "AutoVerifiedAttributes": ["email"],
        "UsernameConfiguration": {"CaseSensitive": False},
        "Policies": {
            "PasswordPolicy": {
                "MinimumLength": 8,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": True,
                "TemporaryPasswordValidityDays": 7,
            }
        },
        "Schema": [{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True}],
        # Customers sign themselves up from the apps; providers are added to the group by an admin.
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False},
    }


def group_properties() -> Dict[str, Any]:
    """The `providers` group (the pool is added by whoever creates it)."""
    return {"GroupName": PROVIDERS_GROUP, "Description": "Service providers: may manage their own schedules"}


def client_properties(name: Any) -> Dict[str, Any]:
    """The public app client of the apps and the console: no secret, password and SRP sign-in."""
    return {
        "ClientName": name,
        "GenerateSecret": False,
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "PreventUserExistenceErrors": "ENABLED",
    }


def create_user_pool_request(name: str) -> Dict[str, Any]:
    """Cognito's CreateUserPool arguments for the declared pool (the API calls the name PoolName)."""
    properties = user_pool_properties(name)
    properties["PoolName"] = properties.pop("UserPoolName")
    return properties
