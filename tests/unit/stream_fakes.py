"""A table's stream and a queue held in memory, for the tests of the feeder and the replay."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from botocore.exceptions import ClientError


class FakeStreams:
    """DescribeStream, GetShardIterator and GetRecords over shards held in memory."""

    def __init__(self, table: str) -> None:
        self.arn = f"arn:aws:dynamodb:eu-west-1:123456789012:table/{table}/stream/2026-12-01T08:00:00.000"
        self.shards: Dict[str, Dict[str, Any]] = {}
        self.next_sequence = 1000
        self.trimmed = False  # every record older than 24 hours, so gone

    def add_shard(self, shard_id: str, parent: Optional[str] = None) -> None:
        self.shards[shard_id] = {"parent": parent, "records": [], "closed": False}

    def put(self, shard_id: str, sk: str) -> str:
        self.next_sequence += 1
        keys = {"pk": {"S": "PROVIDER#p1"}, "sk": {"S": sk}}
        self.shards[shard_id]["records"].append({
            "eventID": uuid.uuid4().hex, "eventName": "INSERT", "eventVersion": "1.0", "eventSource": "aws:dynamodb",
            "awsRegion": "eu-west-1",
            "dynamodb": {"ApproximateCreationDateTime": datetime.now(timezone.utc), "Keys": keys, "NewImage": keys,
                         "SequenceNumber": str(self.next_sequence), "SizeBytes": 50,
                         "StreamViewType": "NEW_AND_OLD_IMAGES"}})
        return str(self.next_sequence)

    def describe_stream(self, StreamArn: str, ExclusiveStartShardId: Optional[str] = None) -> Dict[str, Any]:
        shards = [{"ShardId": shard_id, **({"ParentShardId": shard["parent"]} if shard["parent"] else {})}
                  for shard_id, shard in self.shards.items()]
        return {"StreamDescription": {"StreamArn": StreamArn, "Shards": shards}}

    def get_shard_iterator(self, StreamArn: str, ShardId: str, ShardIteratorType: str,
                           SequenceNumber: Optional[str] = None) -> Dict[str, Any]:
        if self.trimmed and ShardIteratorType != "TRIM_HORIZON":
            raise ClientError({"Error": {"Code": "TrimmedDataAccessException", "Message": "trimmed"}},
                              "GetShardIterator")
        sequences = [record["dynamodb"]["SequenceNumber"] for record in self.shards[ShardId]["records"]]
        index = {"TRIM_HORIZON": 0}.get(ShardIteratorType)
        if index is None:
            index = sequences.index(SequenceNumber) + (ShardIteratorType == "AFTER_SEQUENCE_NUMBER")
        return {"ShardIterator": f"{ShardId}|{index}"}

    def get_records(self, ShardIterator: str, Limit: int) -> Dict[str, Any]:
        shard_id, index = ShardIterator.split("|")
        shard = self.shards[shard_id]
        records = shard["records"][int(index):int(index) + Limit]
        after = int(index) + len(records)
        if shard["closed"] and after >= len(shard["records"]):
            return {"Records": records}
        return {"Records": records, "NextShardIterator": f"{shard_id}|{after}"}


class FakeQueue:
    """SendMessage, ReceiveMessage, DeleteMessage and ChangeMessageVisibility of one queue."""

    def __init__(self) -> None:
        self.bodies: Dict[str, str] = {}  # receipt handle -> body, in the order sent
        self.hidden: set = set()
        self.deleted: List[str] = []

    @property
    def messages(self) -> List[Dict[str, Any]]:
        return [json.loads(body) for body in self.bodies.values()]

    def send_message(self, QueueUrl: str, MessageBody: str) -> None:
        self.bodies[uuid.uuid4().hex] = MessageBody

    def receive_message(self, QueueUrl: str, MaxNumberOfMessages: int, **options: Any) -> Dict[str, Any]:
        visible = [handle for handle in self.bodies if handle not in self.hidden][:MaxNumberOfMessages]
        self.hidden.update(visible)
        return {"Messages": [{"MessageId": f"m-{handle[:6]}", "ReceiptHandle": handle, "Body": self.bodies[handle]}
                             for handle in visible]}

    def delete_message(self, QueueUrl: str, ReceiptHandle: str) -> None:
        self.deleted.append(self.bodies.pop(ReceiptHandle))
        self.hidden.discard(ReceiptHandle)

    def change_message_visibility(self, QueueUrl: str, ReceiptHandle: str, VisibilityTimeout: int) -> None:
        if VisibilityTimeout == 0:
            self.hidden.discard(ReceiptHandle)
