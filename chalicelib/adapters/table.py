"""The one definition of the DynamoDB table: the code, the local stack and infra/ all read it."""
from __future__ import annotations

from typing import Any, Dict

PARTITION_KEY = "pk"
SORT_KEY = "sk"
TTL_ATTRIBUTE = "ttl"
GSI1 = "gsi1"
GSI2 = "gsi2"
GSI3 = "gsi3"

#: Keyword arguments for DynamoDB CreateTable, less the table name.
TABLE_DEFINITION: Dict[str, Any] = {
    "AttributeDefinitions": [
        {"AttributeName": name, "AttributeType": "S"}
        for name in ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk")
    ],
    "KeySchema": [
        {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
        {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
    ],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": index,
            "KeySchema": [
                {"AttributeName": f"{index}pk", "KeyType": "HASH"},
                {"AttributeName": f"{index}sk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
        for index in (GSI1, GSI2, GSI3)
    ],
    "BillingMode": "PAY_PER_REQUEST",
    # Streams are the outbox: everything that follows a commit reads them.
    "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
}


def create_table_request(table_name: str) -> Dict[str, Any]:
    """The CreateTable request for a table of this definition."""
    return {"TableName": table_name, **TABLE_DEFINITION}


def time_to_live_request(table_name: str) -> Dict[str, Any]:
    """The UpdateTimeToLive request that turns on expiry of holds and idempotency records."""
    return {
        "TableName": table_name,
        "TimeToLiveSpecification": {"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    }
