"""The local stack's faster item reads (local/moto_patches.py) answer exactly as moto's serializer would."""
from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from local import moto_patches

ITEM = {"status": {"S": "FREE"}, "in_hours": {"BOOL": True}, "n": {"N": "12.5"}, "list": {"L": [{"S": "a"}, {"N": "1"}]},
        "map": {"M": {"x": {"NULL": True}}}, "bin": {"B": b"\x00\x01\xff"}, "strings": {"SS": ["a", "b"]},
        "bins": {"BS": [b"\x02"]}, "text": {"S": "é\u2028<>&\"'"}}


def answers():
    """The same reads of one table, with whatever serializer is installed."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        client.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                       {"AttributeName": "sk", "KeyType": "RANGE"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                  {"AttributeName": "sk", "AttributeType": "S"}])
        for i in range(30):
            client.put_item(TableName="t", Item={"pk": {"S": "P"}, "sk": {"S": f"SLOT#{i:02}"}, **ITEM})
        by_p = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "P"}}}
        found = [
            client.query(TableName="t", ConsistentRead=True, Limit=20, ReturnConsumedCapacity="TOTAL", **by_p),
            client.query(TableName="t", Select="COUNT", **by_p),
            client.query(TableName="t", ProjectionExpression="sk, bin", ScanIndexForward=False, **by_p),
            client.get_item(TableName="t", Key={"pk": {"S": "P"}, "sk": {"S": "SLOT#01"}}),
            client.get_item(TableName="t", Key={"pk": {"S": "P"}, "sk": {"S": "none"}}),
            client.batch_get_item(RequestItems={"t": {"Keys": [{"pk": {"S": "P"}, "sk": {"S": "SLOT#02"}}]}}),
            client.scan(TableName="t", Limit=3),
        ]
        for answer in found:
            answer.pop("ResponseMetadata")
        return found


@pytest.fixture()
def aws_credentials(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


def test_item_reads_answer_as_moto_serialises_them(aws_credentials, monkeypatch):
    # Given the answers of moto's own serializer
    moto_patches.apply()
    from moto.dynamodb.responses import DynamoResult

    monkeypatch.setattr(DynamoResult, "execute_result", moto_patches._original_execute_result)
    slow = answers()
    monkeypatch.undo()
    # When the same reads are answered by the faster path, Then every answer is the same
    moto_patches.apply()
    fast = answers()
    assert fast == slow
    assert fast[0]["LastEvaluatedKey"] == {"pk": {"S": "P"}, "sk": {"S": "SLOT#19"}} and len(fast[0]["Items"]) == 20
    assert fast[1]["Count"] == 30 and "Items" not in fast[1]
    assert fast[3]["Item"]["bin"] == {"B": b"\x00\x01\xff"} and "Item" not in fast[4]
