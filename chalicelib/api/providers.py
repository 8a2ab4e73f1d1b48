"""Provider routes: profile, the caller's providers, working hours, services, blocks, bookings and holds lists,
availability."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api import caching
from chalicelib.api.http import json_body, page_limit, parse, query, route, time_query
from chalicelib.api.schemas import (
    AvailabilityQuery,
    BlockQuery,
    BookingQuery,
    HoldQuery,
    ProviderQuery,
    WorkingHoursInput,
)
from chalicelib.domain.errors import ConflictsWithBookings, Forbidden, SlotUnavailable
from chalicelib.domain.model import CreateBlock, CreateProvider, CreateService, PatchProvider, PatchService
from chalicelib.api.answers import (
    Availability,
    Block,
    BlockPage,
    BookingPage,
    ProviderHolds,
    ProviderPage,
    ProviderProfile,
    Service,
    WorkingHours,
)
from chalicelib.service import availability, blocks, bookings, catalog, holds, providers, schedule

bp = Blueprint(__name__)
P = "/v1/providers/{provider_id}"


@route(bp, "/v1/providers", "POST", "Create a provider (group providers)", status=201, body=CreateProvider,
       response=ProviderProfile, raises=(Forbidden,))
def create_provider(caller):
    return providers.create_provider(caller, parse(CreateProvider, bp.current_request))


@route(bp, "/v1/me/providers", "GET", "My providers, oldest first", query=ProviderQuery, response=ProviderPage)
def my_providers(caller):
    request = bp.current_request
    return providers.list_mine(caller, page_limit(request), query(request, "cursor"))


@route(bp, P, "GET", "A provider's public profile", auth=False, response=ProviderProfile,
       cache=caching.PROFILE)
def get_provider(provider_id):
    return providers.get_profile(provider_id)


@route(bp, P, "PATCH", "Change a provider", body=PatchProvider, response=ProviderProfile,
       raises=(Forbidden,))
def patch_provider(caller, provider_id):
    return providers.patch_provider(caller, provider_id, parse(PatchProvider, bp.current_request))


@route(bp, P + "/working-hours", "GET", "Working hours", response=WorkingHours, raises=(Forbidden,))
def get_working_hours(caller, provider_id):
    return schedule.get_working_hours(caller, provider_id)


@route(bp, P + "/working-hours", "PUT", "Replace working hours", body=WorkingHoursInput, response=WorkingHours,
       raises=(Forbidden,))
def put_working_hours(caller, provider_id):
    return schedule.put_working_hours(caller, provider_id, json_body(bp.current_request))


@route(bp, P + "/services", "POST", "Add a service", status=201, body=CreateService, response=Service,
       raises=(Forbidden,))
def create_service(caller, provider_id):
    return catalog.create_service(caller, provider_id, parse(CreateService, bp.current_request))


@route(bp, P + "/services/{service_id}", "PATCH", "Change a service", body=PatchService, response=Service,
       raises=(Forbidden,))
def patch_service(caller, provider_id, service_id):
    return catalog.patch_service(caller, provider_id, service_id, parse(PatchService, bp.current_request))


@route(bp, P + "/services/{service_id}", "DELETE", "Stop offering a service", status=204, raises=(Forbidden,))
def delete_service(caller, provider_id, service_id):
    catalog.delete_service(caller, provider_id, service_id)


@route(bp, P + "/blocks", "GET", "Blocked time", query=BlockQuery, response=BlockPage, raises=(Forbidden,))
def list_blocks(caller, provider_id):
    request = bp.current_request
    return blocks.list_blocks(caller, provider_id, page_limit(request), query(request, "cursor"))


@route(bp, P + "/blocks", "POST", "Block time", status=201, body=CreateBlock, response=Block,
       raises=(Forbidden, ConflictsWithBookings, SlotUnavailable))
def create_block(caller, provider_id):
    return blocks.create_block(caller, provider_id, parse(CreateBlock, bp.current_request))


@route(bp, P + "/blocks/{block_id}", "DELETE", "Remove a block", status=204, raises=(Forbidden,))
def delete_block(caller, provider_id, block_id):
    blocks.delete_block(caller, provider_id, block_id)


@route(bp, P + "/bookings", "GET", "The provider's bookings", query=BookingQuery, response=BookingPage,
       raises=(Forbidden,))
def provider_bookings(caller, provider_id):
    request = bp.current_request
    return bookings.list_for_provider(caller, provider_id, query(request, "status"), time_query(request, "from"),
                                      time_query(request, "to"), page_limit(request), query(request, "cursor"))


@route(bp, P + "/holds", "GET", "Customers' live holds on the provider's time", query=HoldQuery,
       response=ProviderHolds, raises=(Forbidden,))
def provider_holds(caller, provider_id):
    request = bp.current_request
    return holds.list_for_provider(caller, provider_id, time_query(request, "from"), time_query(request, "to"))


@route(bp, P + "/availability", "GET", "Free start times", auth=False, query=AvailabilityQuery,
       response=Availability, cache=caching.AVAILABILITY)
def get_availability(provider_id):
    request = bp.current_request
    return availability.get_availability(provider_id, query(request, "service_id"), time_query(request, "from"),
                                         time_query(request, "to"))
