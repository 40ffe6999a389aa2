"""Voicemails, read only: metadata, transcript and a short-lived signed link to the
audio (the same streaming view the staff's player uses; clinic.voice.links)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from clinic.api import examples
from clinic.api.schema import DETAIL_ERRORS, LIST_ERRORS, error_responses
from clinic.api.serializers.voice import VoicemailFilterIn, VoicemailOut
from clinic.api.views.base import ApiViewSet
from clinic.voice.models import Voicemail

FILTERS = [
    OpenApiParameter("patient", OpenApiTypes.UUID, description="The voicemails matched to one patient."),
    OpenApiParameter("handled", OpenApiTypes.BOOL, description="`false`: only those nobody has handled yet."),
]


@extend_schema_view(
    list=extend_schema(
        summary="List voicemails",
        description="Messages patients left on the clinic's number, newest first (a transcript that came before "
        "its recording is listed once the recording arrives).",
        parameters=FILTERS,
        responses={200: VoicemailOut(many=True), **error_responses(*LIST_ERRORS)},
        examples=[examples.page("voicemails", examples.VOICEMAIL)],
    ),
    retrieve=extend_schema(
        summary="A voicemail",
        description="`audio_url` is valid for a few minutes (VOICE_AUDIO_LINK_SECONDS); ask again for a new one.",
        responses={200: VoicemailOut, **error_responses(*DETAIL_ERRORS)},
        examples=[examples.response("A transcribed voicemail", examples.VOICEMAIL)],
    ),
)
class VoicemailViewSet(ApiViewSet):
    model = Voicemail
    output_serializer = VoicemailOut
    ordering = ("-received_at", "-id")

    def get_queryset(self):
        return Voicemail.objects.exclude(status=Voicemail.Status.AWAITING).select_related("call")

    def get_serializer_context(self):
        return {"request": self.request}

    def list(self, request):
        filters = self.parse(VoicemailFilterIn, request.query_params)
        queryset = self.get_queryset()
        if filters.get("patient"):
            queryset = queryset.filter(patient_id=filters["patient"])
        if filters.get("handled") is not None:
            queryset = queryset.filter(handled_at__isnull=not filters["handled"])
        page = self.paginator.paginate_queryset(queryset, request, view=self)
        return self.get_paginated_response(VoicemailOut(page, many=True, context={"request": request}).data)

    def retrieve(self, request, pk):
        voicemail = self.get_object()
        return self.render_one(voicemail, serializer=lambda obj: VoicemailOut(obj, context={"request": request}))
