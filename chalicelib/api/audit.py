"""The provider's audit trail (owner only)."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import page_limit, query, route, time_query
from chalicelib.api.schemas import AuditQuery
from chalicelib.domain.errors import Forbidden
from chalicelib.api.answers import AuditPage
from chalicelib.service import audit

bp = Blueprint(__name__)


@route(bp, "/v1/providers/{provider_id}/audit", "GET", "Who changed what, oldest first", query=AuditQuery,
       response=AuditPage, raises=(Forbidden,))
def provider_audit(caller, provider_id):
    request = bp.current_request
    return audit.list_audit(caller, provider_id, time_query(request, "from"), time_query(request, "to"),
                            page_limit(request), query(request, "cursor"))
