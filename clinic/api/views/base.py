"""What every endpoint shares: authentication (API key or session), scopes, throttling,
JSON only, errors in one shape, the tenant context, idempotent POSTs, and the refusal
of any clinic named in the input."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Model
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers
from rest_framework import generics, viewsets
from rest_framework.permissions import SAFE_METHODS
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from clinic.api.authentication import ApiKeyAuthentication
from clinic.api.errors import body, organization_in_input
from clinic.api.idempotency import run_idempotent
from clinic.api.pagination import KeysetPagination
from clinic.api.parsers import BoundedJSONParser
from clinic.api.throttling import PerKeyRateThrottle
from clinic.audit.reads import denied
from clinic.audit.trail import Action, record
from tenancy.drf import HasScope, TenantAPIViewMixin, TenantSessionAuthentication
from tenancy.replica import replica_reads

# Keys that would name a clinic; refused anywhere in a body (invariant 1).
ORGANIZATION_KEYS = frozenset({"organization", "organization_id", "organizationId", "org", "org_id"})


def find_organization(data, path: str = "") -> str | None:
    """The path of the first key naming a clinic in a parsed JSON body, if any."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            here = f"{path}.{key}" if path else str(key)
            if key in ORGANIZATION_KEYS:
                return here
            found = find_organization(value, here)
            if found:
                return found
    elif isinstance(data, list):
        for index, item in enumerate(data):
            found = find_organization(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


class ApiMixin(TenantAPIViewMixin):
    authentication_classes = [ApiKeyAuthentication, TenantSessionAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [PerKeyRateThrottle]
    parser_classes = [BoundedJSONParser]
    renderer_classes = [JSONRenderer]

    def handle_in_tenant(self, request, handler, *args, **kwargs) -> Response:
        if request.method not in SAFE_METHODS:
            path = find_organization(request.data)
            if path:
                raise organization_in_input(path)
        if request.method == "POST":
            return run_idempotent(request, request.auth.caller, lambda: handler(request, *args, **kwargs))
        return handler(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        # Patient data: no proxy or browser cache may keep an API answer.
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    def parse(self, serializer_class, data=None) -> dict:
        serializer = serializer_class(data=self.request.data if data is None else data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class ApiView(ApiMixin, generics.GenericAPIView):
    pass


class ApiViewSet(ApiMixin, viewsets.GenericViewSet):
    """A resource: `model`, its output serializer and its list order (ascending,
    ending in the unique id)."""

    pagination_class = KeysetPagination
    lookup_value_converter = "uuid"
    model = None
    output_serializer = None
    ordering: tuple[str, ...] = ("id",)

    def get_queryset(self):
        return self.model.objects.all()

    def get_serializer_class(self):
        return self.output_serializer

    def render_page(self, queryset, columns: tuple[str, ...] | None = None, *, ordering=None, output=None) -> Response:
        """One page of `queryset`; with `columns`, fetched as dicts of just those. An
        action listing something else names its own `ordering` and `output` serializer.
        A list writes nothing: it is read from the replica, if there is one (tenancy.replica)."""
        with replica_reads() as using:
            page = self.paginator.paginate_queryset(
                queryset.using(using), self.request, view=self, columns=columns, ordering=ordering
            )
            return self.get_paginated_response((output or self.output_serializer)(page, many=True).data)

    def render_one(self, obj, *, created: bool = False, serializer=None) -> Response:
        data = (serializer or self.output_serializer)(obj).data
        if not created:
            return Response(data)
        location = self.request.build_absolute_uri(f"{self.request.path.rstrip('/')}/{obj.pk}/")
        return Response(data, status=201, headers={"Location": location})


def api_view_or_not_found(view, pk) -> tuple[Model | None, HttpResponse | None]:
    """As clinic.audit.reads.view_or_not_found(), for an API viewset's retrieve(): the API's 404 body."""
    obj = view.get_queryset().filter(pk=pk).first()
    if obj is None:
        denied(view.get_queryset().model, pk)
        return None, Response(body("not_found", "Not found."), status=404)
    view.check_object_permissions(view.request, obj)
    record(Action.VIEW, obj=obj)
    return obj, None
