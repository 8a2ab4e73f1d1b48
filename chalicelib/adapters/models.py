"""PynamoDB models of the single table; each entity builds its own keys here and nowhere else."""
from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Tuple

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.exceptions import PutError
from pynamodb.expressions.operand import Path
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters import dynamo
from chalicelib.adapters.table import GSI1, GSI2, GSI3
from chalicelib.domain.timegrid import format_utc

HOLD_SHARDS = 8
#: Partitions the providers' listing (profiles on gsi1, schedules on gsi3) is spread over: one would be a hot
#: partition for every scheduled walk at scale (decision 14). Changing it needs a backfill of both listings.
PROVIDER_SHARDS = 16


class _TableNameFromSettings(type):
    @property
    def table_name(cls) -> str:
        from chalicelib.config import get_settings
        return get_settings().table_name


class _Meta(metaclass=_TableNameFromSettings):
    """Where the table is comes from the settings at first use, never at import."""


class Gsi1(GlobalSecondaryIndex):
    class Meta:
        index_name = GSI1
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex):
    class Meta:
        index_name = GSI2
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Gsi3(GlobalSecondaryIndex):
    class Meta:
        index_name = GSI3
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class _Item(Model):
    Meta = _Meta
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)

    @classmethod
    def _get_connection(cls):
        # Every entity lives in the one table: share one connection and one client (adapters/dynamo.py).
        return dynamo.table_connection()

    def save_if(self, condition) -> bool:
        """Write the item if `condition` holds; False, and nothing written, when it does not."""
        try:
            self.save(condition=condition)
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True


def provider_pk(provider_id: str) -> str:
    """The partition that holds a provider's profile, schedule, services, blocks and slots."""
    return f"PROVIDER#{provider_id}"


def provider_shard(provider_id: str) -> int:
    """The shard of the providers' listing that holds this provider's profile and schedule."""
    return _shard(provider_id, PROVIDER_SHARDS)


class _Listed:
    """An item of a provider listed on an index under the provider's shard (`LIST_PREFIX` + shard / provider id)."""

    LIST_PREFIX = ""

    @classmethod
    def list_partition(cls, provider_id: str) -> str:
        return cls.list_partition_of(provider_shard(provider_id))

    @classmethod
    def list_partition_of(cls, shard: int) -> str:
        return f"{cls.LIST_PREFIX}{shard}"


class ProviderItem(_Listed, _Item):
    """A provider's public profile and rules (PROVIDER#id / PROFILE); GSI1 lists all providers by shard, GSI2
    (sparse) an owner's providers by creation."""

    provider_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    categories = ListAttribute(of=UnicodeAttribute)
    lat = NumberAttribute()
    lon = NumberAttribute()
    address = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute()
    auto_confirm = BooleanAttribute()
    min_notice_minutes = NumberAttribute()
    max_days_ahead = NumberAttribute()
    hold_minutes = NumberAttribute()
    cancel_cutoff_minutes = NumberAttribute()
    # Changed only by ADD in the transaction that writes a review (adapters/reviews.py): the rating is
    # rating_sum / review_count, computed on read, so racing reviews never lose one another.
    rating_sum = NumberAttribute(default=0)
    review_count = NumberAttribute(default=0)
    # The last local date for which slots are materialised.
    horizon_end = UnicodeAttribute(null=True)
    # The version of the availability card (zone, rules, services' lengths) and the last UTC date carrying it.
    card_version = NumberAttribute(default=0)
    cards_through = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=1)
    changed_by = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    by_list = Gsi1()
    by_owner = Gsi2()

    LIST_PREFIX = "PROVIDERS#"

    @classmethod
    def key(cls, provider_id: str) -> Tuple[str, str]:
        return provider_pk(provider_id), "PROFILE"

    @classmethod
    def owner_partition(cls, owner_id: str) -> str:
        return f"OWNER#{owner_id}"

    @classmethod
    def owner_sort_key(cls, created_at: str, provider_id: str) -> str:
        return f"{created_at}#{provider_id}"


class ScheduleItem(_Listed, _Item):
    """A provider's working hours (PROVIDER#id / SCHEDULE); GSI1 lists those whose slots are still syncing,
    GSI3 all of them by the shard of their provider (what the horizon roll walks beside the profiles)."""

    provider_id = UnicodeAttribute(null=True)
    document = UnicodeAttribute()
    version = NumberAttribute(default=1)
    updated_at = UnicodeAttribute()
    changed_by = UnicodeAttribute(null=True)
    # Local dates whose slots may still disagree with the document; bookings there wait until they agree.
    pending = UnicodeSetAttribute(null=True)
    # The zone the slots are laid out in, and the one they were in while a change of zone is applied.
    timezone = UnicodeAttribute(null=True)
    previous_timezone = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    by_sync = Gsi1()
    by_list = Gsi3()

    SYNC_SHARDS = 4
    LIST_PREFIX = "SCHEDULES#"

    @classmethod
    def key(cls, provider_id: str) -> Tuple[str, str]:
        return provider_pk(provider_id), "SCHEDULE"

    @classmethod
    def sync_partition(cls, provider_id: str) -> str:
        return f"SYNCS#{_shard(provider_id, cls.SYNC_SHARDS)}"

    @classmethod
    def sync_partitions(cls) -> Tuple[str, ...]:
        return tuple(f"SYNCS#{shard}" for shard in range(cls.SYNC_SHARDS))


def _shard(identifier: str, shards: int) -> int:
    return int(hashlib.sha256(identifier.encode()).hexdigest(), 16) % shards


class CardItem(_Item):
    """The availability card of a provider for one UTC date (PROVIDER#id / SLOT#yyyy-mm-dd).

    Its sort key sorts just before that date's slots, so a Query of slots reads a card with them.
    """

    timezone = UnicodeAttribute()
    min_notice_minutes = NumberAttribute()
    max_days_ahead = NumberAttribute()
    services = UnicodeAttribute()  # JSON: service id -> [duration, buffer]
    card_version = NumberAttribute()
    ttl = NumberAttribute(null=True)

    @classmethod
    def key(cls, provider_id: str, day: date) -> Tuple[str, str]:
        return provider_pk(provider_id), f"{SlotItem.PREFIX}{day.isoformat()}"

    @classmethod
    def is_card_key(cls, sort_key: str) -> bool:
        return len(sort_key) == len(SlotItem.PREFIX) + 10


class ServiceItem(_Item):
    """One service a provider offers (PROVIDER#id / SERVICE#service_id)."""

    PREFIX = "SERVICE#"
    provider_id = UnicodeAttribute()
    service_id = UnicodeAttribute()
    name = UnicodeAttribute()
    category = UnicodeAttribute()
    duration_minutes = NumberAttribute()
    buffer_minutes = NumberAttribute(default=0)
    price_amount = NumberAttribute()
    price_currency = UnicodeAttribute()
    active = BooleanAttribute(default=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    changed_by = UnicodeAttribute(null=True)

    @classmethod
    def key(cls, provider_id: str, service_id: str) -> Tuple[str, str]:
        return provider_pk(provider_id), f"{cls.PREFIX}{service_id}"


class BlockItem(_Item):
    """Time a provider blocked (PROVIDER#id / BLOCK#block_id)."""

    PREFIX = "BLOCK#"
    provider_id = UnicodeAttribute()
    block_id = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)

    @classmethod
    def key(cls, provider_id: str, block_id: str) -> Tuple[str, str]:
        return provider_pk(provider_id), f"{cls.PREFIX}{block_id}"


class SlotItem(_Item):
    """One 15-minute slot of a provider (PROVIDER#id / SLOT#utc start): the unit of contention."""

    PREFIX = "SLOT#"
    status = UnicodeAttribute()  # FREE | HELD | BOOKED | BLOCKED
    # Whether the slot lies in working hours; kept by schedule changes apart from status.
    in_hours = BooleanAttribute(default=False)
    hold_id = UnicodeAttribute(null=True)
    hold_expires = NumberAttribute(null=True)  # epoch seconds
    booking_id = UnicodeAttribute(null=True)
    block_id = UnicodeAttribute(null=True)
    ttl = NumberAttribute(null=True)

    @classmethod
    def key(cls, provider_id: str, start: datetime) -> Tuple[str, str]:
        return provider_pk(provider_id), cls.sort_key(start)

    @classmethod
    def sort_key(cls, start: datetime) -> str:
        return f"{cls.PREFIX}{format_utc(start)}"


class HoldItem(_Item):
    """A customer's short hold on time (HOLD#id / HOLD); GSI1 finds expired holds by shard."""

    hold_id = UnicodeAttribute()
    provider_id = UnicodeAttribute()
    service_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute()
    occupied_until = UnicodeAttribute()
    expires_at = NumberAttribute()  # epoch seconds; compared with now on every read
    state = UnicodeAttribute(default="ACTIVE")  # ACTIVE | RELEASED | USED; kept until TTL
    booking_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    ttl = NumberAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_expiry = Gsi1()

    @classmethod
    def key(cls, hold_id: str) -> Tuple[str, str]:
        return f"HOLD#{hold_id}", "HOLD"

    @classmethod
    def expiry_partition(cls, hold_id: str) -> str:
        return f"HOLDS#{_shard(hold_id, HOLD_SHARDS)}"

    @classmethod
    def expiry_partitions(cls) -> Tuple[str, ...]:
        return tuple(f"HOLDS#{shard}" for shard in range(HOLD_SHARDS))


class HoldLedgerItem(_Item):
    """A customer's live holds (CUSTOMER#sub / HOLDS): one attribute `H#<hold_id>` per hold, its expiry (epoch
    seconds), and a version the placing of a hold is conditioned on; deleted by TTL a day after its last hold.

    Top-level attributes, not a map: REMOVE of a missing attribute is a no-op, where REMOVE of a map entry fails
    when the map itself is missing (a hold placed before the ledger existed, or a ledger TTL removed)."""

    version = NumberAttribute(null=True)
    ttl = NumberAttribute(null=True)

    ENTRY_PREFIX = "H#"

    @classmethod
    def key(cls, customer_id: str) -> Tuple[str, str]:
        return f"CUSTOMER#{customer_id}", "HOLDS"

    @classmethod
    def entry(cls, hold_id: str) -> Path:
        """The attribute that carries one hold's expiry."""
        return Path([f"{cls.ENTRY_PREFIX}{hold_id}"])


class BookingItem(_Item):
    """A booking (BOOKING#id / BOOKING); GSI1 by customer and start, GSI2 by provider and start,
    GSI3 (sparse) by when its reminder is due, while one is."""

    booking_id = UnicodeAttribute()
    status = UnicodeAttribute()
    provider_id = UnicodeAttribute()
    service_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute()
    occupied_until = UnicodeAttribute()
    timezone = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=1)
    changed_by = UnicodeAttribute(null=True)
    reminded_start = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    by_customer = Gsi1()
    by_provider = Gsi2()
    by_reminder = Gsi3()

    REMINDER_SHARDS = 4

    @classmethod
    def key(cls, booking_id: str) -> Tuple[str, str]:
        return f"BOOKING#{booking_id}", "BOOKING"

    @classmethod
    def customer_partition(cls, customer_id: str) -> str:
        return f"CUSTOMER#{customer_id}"

    @classmethod
    def provider_partition(cls, provider_id: str) -> str:
        return f"PROVIDER#{provider_id}#BOOKINGS"

    @classmethod
    def time_sort_key(cls, start: str, booking_id: str) -> str:
        return f"{start}#{booking_id}"

    @classmethod
    def reminder_partition(cls, due: datetime, booking_id: str) -> str:
        """Reminders due in one UTC hour, spread over a few shards."""
        return cls.reminder_partition_of(due.strftime("%Y-%m-%dT%H"), _shard(booking_id, cls.REMINDER_SHARDS))

    @classmethod
    def reminder_partition_of(cls, hour: str, shard: int) -> str:
        return f"REMINDERS#{hour}#{shard}"


class ReviewItem(_Item):
    """A customer's review of a booking (BOOKING#id / REVIEW, beside the booking: one per booking);
    GSI2 lists a provider's reviews by time."""

    booking_id = UnicodeAttribute()
    provider_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    rating = NumberAttribute()
    comment = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    by_provider = Gsi2()

    SORT_KEY = "REVIEW"

    @classmethod
    def key(cls, booking_id: str) -> Tuple[str, str]:
        return BookingItem.key(booking_id)[0], cls.SORT_KEY

    @classmethod
    def provider_partition(cls, provider_id: str) -> str:
        return f"PROVIDER#{provider_id}#REVIEWS"

    @classmethod
    def time_sort_key(cls, created_at: str, booking_id: str) -> str:
        return f"{created_at}#{booking_id}"


class IdempotencyItem(_Item):
    """The first answer to a request with an Idempotency-Key (IDEMPOTENCY#user#key hash)."""

    request_hash = UnicodeAttribute()
    status_code = NumberAttribute()
    body = UnicodeAttribute()
    booking_id = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()
    ttl = NumberAttribute()

    @classmethod
    def key(cls, user_id: str, idempotency_key: str) -> Tuple[str, str]:
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
        return f"IDEMPOTENCY#{user_id}#{digest}", "IDEMPOTENCY"


def user_pk(user_id: str) -> str:
    """The partition that holds one user's inbox and contact preferences."""
    return f"USER#{user_id}"


class NotificationItem(_Item):
    """One entry of a user's inbox (USER#id / NOTIFICATION#notification_id); ids sort by time."""

    PREFIX = "NOTIFICATION#"
    notification_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    type = UnicodeAttribute()
    booking_id = UnicodeAttribute(null=True)
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    created_at = UnicodeAttribute()
    read = BooleanAttribute(default=False)
    event_id = UnicodeAttribute()
    ttl = NumberAttribute(null=True)

    @classmethod
    def key(cls, user_id: str, notification_id: str) -> Tuple[str, str]:
        return user_pk(user_id), f"{cls.PREFIX}{notification_id}"


class DeviceItem(_Item):
    """A phone registered for push (USER#id / CONTACT#DEVICE#device_id)."""

    PREFIX = "CONTACT#DEVICE#"
    device_id = UnicodeAttribute()
    platform = UnicodeAttribute()  # apns | fcm
    token = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @classmethod
    def key(cls, user_id: str, device_id: str) -> Tuple[str, str]:
        return user_pk(user_id), f"{cls.PREFIX}{device_id}"


class DeviceCountItem(_Item):
    """How many phones a user has registered (USER#id / DEVICE_COUNT): changed in one transaction with them."""

    devices = NumberAttribute(default=0)

    @classmethod
    def key(cls, user_id: str) -> Tuple[str, str]:
        return user_pk(user_id), "DEVICE_COUNT"


class SmsItem(_Item):
    """A user's opt-in to SMS (USER#id / CONTACT#SMS)."""

    phone = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @classmethod
    def key(cls, user_id: str) -> Tuple[str, str]:
        return user_pk(user_id), "CONTACT#SMS"


CONTACT_PREFIX = "CONTACT#"


class AuditItem(_Item):
    """One append-only audit record of a provider (PROVIDER#id#AUDIT / at#event_id)."""

    event_id = UnicodeAttribute()
    provider_id = UnicodeAttribute()
    type = UnicodeAttribute()
    booking_id = UnicodeAttribute(null=True)
    actor = UnicodeAttribute()  # JSON
    at = UnicodeAttribute()
    before = UnicodeAttribute(null=True)  # JSON
    after = UnicodeAttribute(null=True)  # JSON

    @classmethod
    def partition(cls, provider_id: str) -> str:
        return f"PROVIDER#{provider_id}#AUDIT"

    @classmethod
    def key(cls, provider_id: str, at: str, event_id: str) -> Tuple[str, str]:
        return cls.partition(provider_id), f"{at}#{event_id}"


class DeliveryItem(_Item):
    """The claim on one delivery (an e-mail, a push, an SMS) of one event: it goes out once.

    SENDING with a lease while it is being sent; SENT after. Kept past any stream retry or replay.
    """

    state = UnicodeAttribute()  # SENDING | SENT
    lease_until = NumberAttribute()  # epoch seconds
    updated_at = UnicodeAttribute()
    ttl = NumberAttribute()

    @classmethod
    def key(cls, delivery_id: str) -> Tuple[str, str]:
        digest = hashlib.sha256(delivery_id.encode()).hexdigest()
        return f"DELIVERY#{digest}", "DELIVERY"


class WriteCountItem(_Item):
    """How many changes a user made in one UTC minute (USER#sub / RATE#yyyy-mm-ddThh:mm); gone by TTL."""

    n = NumberAttribute(null=True)
    ttl = NumberAttribute(null=True)

    @classmethod
    def key(cls, user_id: str, window: str) -> Tuple[str, str]:
        return user_pk(user_id), f"RATE#{window}"


class CalendarFeedItem(_Item):
    """The secret of a provider's calendar subscription feed (PROVIDER#id / CALENDAR_FEED)."""

    secret = UnicodeAttribute()
    rotated_at = UnicodeAttribute()

    @classmethod
    def key(cls, provider_id: str) -> Tuple[str, str]:
        return provider_pk(provider_id), "CALENDAR_FEED"


ALL_MODELS = (ProviderItem, ScheduleItem, ServiceItem, BlockItem, SlotItem, CardItem, HoldItem, BookingItem,
              ReviewItem, IdempotencyItem, NotificationItem, DeviceItem, DeviceCountItem, SmsItem, AuditItem,
              DeliveryItem, CalendarFeedItem, HoldLedgerItem, WriteCountItem)
