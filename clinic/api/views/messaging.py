"""Text messages, read only: the clinic's SMS log, newest first, with the same rows
the staff see on /sms/."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from clinic.api import examples
from clinic.api.schema import DETAIL_ERRORS, LIST_ERRORS, error_responses
from clinic.api.serializers.messaging import SmsMessageFilterIn, SmsMessageOut
from clinic.api.views.base import ApiViewSet
from clinic.messaging.models import SmsMessage

FILTERS = [
    OpenApiParameter("appointment", OpenApiTypes.UUID, description="The texts about one appointment."),
    OpenApiParameter("patient", OpenApiTypes.UUID, description="The texts to and from one patient."),
    OpenApiParameter(
        "direction",
        {"type": "string", "enum": SmsMessage.Direction.values},
        description="`out` for texts the clinic sent, `in` for texts it received.",
    ),
    OpenApiParameter(
        "status",
        {"type": "array", "items": {"type": "string", "enum": SmsMessage.Status.values}},
        explode=True,
        description="Only these statuses; repeat for several: `?status=failed&status=undelivered`.",
    ),
]


@extend_schema_view(
    list=extend_schema(
        summary="List text messages",
        description="Every text the clinic sent or received, newest first.",
        parameters=FILTERS,
        responses={200: SmsMessageOut(many=True), **error_responses(*LIST_ERRORS)},
        examples=[examples.page("sms-messages", examples.SMS_MESSAGE)],
    ),
    retrieve=extend_schema(
        summary="A text message",
        responses={200: SmsMessageOut, **error_responses(*DETAIL_ERRORS)},
        examples=[examples.response("A delivered confirmation request", examples.SMS_MESSAGE)],
    ),
)
class SmsMessageViewSet(ApiViewSet):
    model = SmsMessage
    output_serializer = SmsMessageOut
    ordering = ("-created_at", "-id")

    def list(self, request):
        filters = self.parse(SmsMessageFilterIn, request.query_params)
        return self.render_page(self._filtered(filters), columns=SmsMessageOut.COLUMNS)

    def _filtered(self, filters: dict):
        queryset = self.get_queryset()
        for name in ("appointment", "patient"):
            if filters.get(name):
                queryset = queryset.filter(**{f"{name}_id": filters[name]})
        if filters.get("direction"):
            queryset = queryset.filter(direction=filters["direction"])
        if filters.get("status"):
            queryset = queryset.filter(status__in=sorted(filters["status"]))
        return queryset

    def retrieve(self, request, pk):
        return self.render_one(self.get_object())
