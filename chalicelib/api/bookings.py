"""Customer routes: holds, bookings and what happens to them."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import page_limit, parse, query, respond, route, time_query
from chalicelib.api.schemas import BookingQuery, IdempotencyHeaders
from chalicelib.domain.errors import (
    BookingNotModifiable,
    CancelWindowClosed,
    Forbidden,
    HoldExpired,
    IdempotencyKeyReused,
    NotFound,
    RequestInProgress,
    SlotUnavailable,
    TooManyHolds,
)
from chalicelib.domain.model import BookSlot, CancelBooking, PlaceHold, RescheduleBooking
from chalicelib.api.answers import Booking, BookingPage, Hold
from chalicelib.service import bookings, holds

bp = Blueprint(__name__)
B = "/v1/bookings/{booking_id}"


@route(bp, "/v1/holds", "POST", "Hold time during checkout", status=201, body=PlaceHold, response=Hold,
       raises=(NotFound, SlotUnavailable, TooManyHolds), charged_in_transaction=True)
def place_hold(caller):
    return holds.place_hold(caller, parse(PlaceHold, bp.current_request))


@route(bp, "/v1/holds/{hold_id}", "DELETE", "Give held time back", status=204, charged_in_transaction=True)
def release_hold(caller, hold_id):
    holds.release_hold(caller, hold_id)


@route(bp, "/v1/bookings", "POST", "Book", status=201, body=BookSlot, headers=IdempotencyHeaders, response=Booking,
       raises=(NotFound, SlotUnavailable, HoldExpired, RequestInProgress, IdempotencyKeyReused),
       charged_in_transaction=True)
def create_booking(caller):
    request = bp.current_request
    answer = bookings.book(caller, request.headers.get("idempotency-key"), parse(BookSlot, request))
    return respond(answer.body, answer.status_code,
                   {"Idempotent-Replayed": "true"} if answer.replayed else None)


@route(bp, B, "GET", "A booking", response=Booking)
def get_booking(caller, booking_id):
    return bookings.get_booking(caller, booking_id)


@route(bp, "/v1/me/bookings", "GET", "My bookings", query=BookingQuery, response=BookingPage)
def my_bookings(caller):
    request = bp.current_request
    return bookings.list_mine(caller, query(request, "status"), time_query(request, "from"),
                              time_query(request, "to"), page_limit(request), query(request, "cursor"))


@route(bp, B + "/cancel", "POST", "Cancel a booking", body=CancelBooking, body_required=False, response=Booking,
       raises=(BookingNotModifiable, CancelWindowClosed), charged_in_transaction=True)
def cancel_booking(caller, booking_id):
    return bookings.cancel(caller, booking_id, parse(CancelBooking, bp.current_request, required=False))


@route(bp, B + "/reschedule", "POST", "Move a booking", body=RescheduleBooking, response=Booking,
       raises=(Forbidden, SlotUnavailable, BookingNotModifiable, CancelWindowClosed), charged_in_transaction=True)
def reschedule_booking(caller, booking_id):
    return bookings.reschedule(caller, booking_id, parse(RescheduleBooking, bp.current_request))


@route(bp, B + "/confirm", "POST", "Confirm a pending booking", response=Booking,
       raises=(Forbidden, BookingNotModifiable))
def confirm_booking(caller, booking_id):
    return bookings.confirm(caller, booking_id)


@route(bp, B + "/decline", "POST", "Decline a pending booking", body=CancelBooking, body_required=False,
       response=Booking, raises=(Forbidden, BookingNotModifiable))
def decline_booking(caller, booking_id):
    return bookings.decline(caller, booking_id, parse(CancelBooking, bp.current_request, required=False))
