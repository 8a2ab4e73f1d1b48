"""Tell people what happened to their bookings: the inbox, e-mail with the .ics, push and SMS.

Every event is delivered at least once by the stream; each delivery happens once by its identity: an
inbox entry is keyed by the event (a second write is a no-op), and each e-mail, push and SMS is claimed
before it is sent and marked after. A failing channel does not stop the others; the failure is raised
at the end so that the record is tried again, and what already went out is not sent twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Tuple

from chalicelib.config import get_settings
from chalicelib.domain import entities, events
from chalicelib.domain.calendar import booking_calendar, entry_of
from chalicelib.domain.errors import DeliveryBusy, DeliveryRefused
from chalicelib.domain.mail import compose
from chalicelib.domain.notices import CUSTOMER, Device, Notice, Notification, notices_of, notification_id, words
from chalicelib.domain.timegrid import parse_instant
from chalicelib.observability import count, logger, redacted
from chalicelib.service import clock
from chalicelib.service.stores import (
    delivery_store,
    inbox_store,
    mail_channel,
    provider_store,
    push_channel,
    user_directory,
)

# How long a claimed delivery is ours: longer than one send with its retries, shorter than a stream retry.
LEASE_SECONDS = 60
SMS_LIMIT = 320


class DeliveriesFailed(Exception):
    """Some deliveries of an event failed and will be tried again with the record."""


@dataclass(frozen=True)
class _Context:
    event: events.BookingEvent
    provider: entities.Provider
    service_name: str


def notify(event: events.Event) -> int:
    """Deliver an event's notices on every channel; how many deliveries went out now."""
    notices = notices_of(event)
    if not notices:
        return 0
    assert isinstance(event, events.BookingEvent)
    found = provider_store.get_provider_with_services(event.provider_id)
    if found is None:
        logger.warning("Event of an unknown provider", provider_id=event.provider_id, event_id=event.event_id)
        return 0
    provider, services = found
    service_id = (event.after or {}).get("service_id")
    names = {s.service_id: s.name for s in services}
    context = _Context(event, provider, names.get(service_id, "Your booking"))
    failures: List[str] = []
    sent = 0
    for notice in notices:
        sent += _deliver(context, notice, failures)
    if failures:
        raise DeliveriesFailed(f"{len(failures)} deliveries of {event.event_id} failed: {'; '.join(failures)}")
    return sent


def _deliver(context: _Context, notice: Notice, failures: List[str]) -> int:
    event, provider = context.event, context.provider
    user_id = event.customer_id if notice.role == CUSTOMER else provider.owner_id
    title, body = words(notice, event, provider.name, context.service_name, provider.timezone)
    note = Notification(user_id=user_id, notification_id=notification_id(event, user_id, notice.type),
                        type=notice.type, booking_id=event.booking_id, title=title, body=body,
                        created_at=event.at, event_id=event.event_id)
    keys = dict(event_id=event.event_id, booking_id=event.booking_id, provider_id=event.provider_id,
                notification_type=notice.type)
    sent = _attempt("inbox", keys, failures, lambda: inbox_store.put_notification(note))
    try:
        channels = _channels(context, note)
    except Exception as error:  # noqa: BLE001 - the directory or contacts unreadable: this notice waits alone
        _failed("contacts", error, keys, failures)
        return sent
    for channel, delivery_id, send in channels:
        sent += _attempt(channel, keys, failures, lambda: _once(delivery_id, send))
    return sent


def _attempt(channel: str, keys: dict, failures: List[str], action: Callable[[], bool]) -> int:
    """Run one delivery; 1 if it went out now. A failure is noted, never raised: each channel fails alone."""
    try:
        if action():
            logger.info("Notification delivered", channel=channel, **keys)
            count("NotificationDelivered" if channel == "inbox" else f"{channel.capitalize()}Sent")
            return 1
    except DeliveryRefused as refused:
        logger.warning("Notification refused for good", channel=channel, reason=redacted(str(refused)), **keys)
        count("NotificationRefused")
    except Exception as error:  # noqa: BLE001 - the record is retried for it
        _failed(channel, error, keys, failures)
    return 0


def _failed(channel: str, error: Exception, keys: dict, failures: List[str]) -> None:
    # An AWS error's text may name the recipient (SES in its sandbox lists the unverified addresses).
    logger.warning("Notification failed", channel=channel, error=redacted(f"{type(error).__name__}: {error}"), **keys)
    count("NotificationFailed")
    failures.append(f"{channel}: {type(error).__name__}")


def _channels(context: _Context, note: Notification) -> List[Tuple[str, str, Callable[[], object]]]:
    """The sends a notice makes beyond the inbox, each with its delivery identity."""
    sends: List[Tuple[str, str, Callable[[], object]]] = []
    address = user_directory.email_of(note.user_id)
    if address:
        sends.append(("email", f"{note.notification_id}:email",
                      lambda: mail_channel.send(address, _email(context, note, address))))
    contacts = inbox_store.get_contacts(note.user_id)
    data = {"notification_id": note.notification_id, "type": note.type, "booking_id": note.booking_id}
    for device in contacts.devices:
        if push_channel.can_push(device):
            sends.append(("push", f"{note.notification_id}:push:{device.device_id}",
                          lambda device=device: _push(note, device, data)))
    if contacts.phone and push_channel.can_sms():
        text = _one_line(f"{note.title}: {note.body}")[:SMS_LIMIT]
        sends.append(("sms", f"{note.notification_id}:sms", lambda: push_channel.sms(contacts.phone, text)))
    return sends


def _push(note: Notification, device: Device, data: dict) -> None:
    try:
        push_channel.push(device, _one_line(note.title), _one_line(note.body), data)
    except DeliveryRefused:
        # The push service says this phone is gone (app removed, token expired): stop sending to it.
        inbox_store.delete_device(note.user_id, device.device_id)
        raise


def _one_line(text: str) -> str:
    """User text (a reason, a name) folded to one line: a phone shows no markup and no line breaks of theirs."""
    return " ".join(text.split())


def _once(delivery_id: str, send: Callable[[], object]) -> bool:
    """Send unless it went out before; whether it was sent now."""
    state = delivery_store.claim(delivery_id, clock.now(), LEASE_SECONDS)
    if state == "sent":
        return False
    if state == "busy":
        raise DeliveryBusy(delivery_id)
    try:
        send()
    except BaseException:
        delivery_store.release(delivery_id)
        raise
    delivery_store.mark_sent(delivery_id, clock.now())
    return True


def _email(context: _Context, note: Notification, address: str) -> bytes:
    booking = _booking_of(context.event)
    ics = booking_calendar(entry_of(booking, context.provider, context.service_name,
                                    parse_instant(context.event.at, "at")))
    text = f"{note.body}\n\nThe attached calendar file adds it to your calendar (times in {context.provider.timezone})."
    return compose(get_settings().email_from, address, note.title, text, ics)


def _booking_of(event: events.BookingEvent) -> entities.Booking:
    """The booking as the event saw it (its view and version)."""
    view = event.after or {}
    start, end = parse_instant(view["start"], "start"), parse_instant(view["end"], "end")
    return entities.Booking(
        booking_id=event.booking_id, status=view["status"], provider_id=event.provider_id,
        service_id=view["service_id"], customer_id=event.customer_id, start=start, end=end, occupied_until=end,
        timezone=view["timezone"], note=view.get("note"), reason=view.get("reason"), created_at=view["created_at"],
        updated_at=view["updated_at"], version=event.version)
