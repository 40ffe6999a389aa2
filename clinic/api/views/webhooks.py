"""Webhook endpoints: register, list, change, turn off, delete, send a test event, and
read each one's delivery log. A write key, or signed in as an owner or admin: the
endpoints decide where the clinic's appointments are sent."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from clinic.api import examples
from clinic.api.models import WebhookDelivery, WebhookEndpoint
from clinic.api.schema import CREATE_ERRORS, DETAIL_ERRORS, UPDATE_ERRORS, error_responses
from clinic.api.serializers.webhooks import (
    WebhookDeliveryOut,
    WebhookEndpointCreatedOut,
    WebhookEndpointCreateIn,
    WebhookEndpointOut,
    WebhookEndpointRotatedOut,
    WebhookEndpointUpdateIn,
    WebhookSecretRotateIn,
)
from clinic.api.views.base import ApiViewSet
from clinic.api.webhooks.services import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_ping,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)
from tenancy.drf import HasScope

MANAGE_ERRORS = (401, 403, 429)


class ManagesWebhooks(BasePermission):
    message = "Only write keys, and the clinic's owners and admins, manage webhook endpoints."
    code = "permission_denied"

    def has_permission(self, request, view) -> bool:
        return bool(getattr(request.auth, "can_manage", False))


@extend_schema_view(
    list=extend_schema(
        summary="List webhook endpoints",
        description="Newest first. The signing secrets are never shown again after creation.",
        responses={200: WebhookEndpointOut(many=True), **error_responses(400, *MANAGE_ERRORS)},
        examples=[examples.page("webhook-endpoints", examples.WEBHOOK_ENDPOINT)],
    ),
    retrieve=extend_schema(
        summary="A webhook endpoint",
        responses={200: WebhookEndpointOut, **error_responses(*DETAIL_ERRORS)},
        examples=[examples.response("An endpoint", examples.WEBHOOK_ENDPOINT)],
    ),
    create=extend_schema(
        summary="Register a webhook endpoint",
        description=(
            "The clinic's appointment events are POSTed to `url`, signed with the endpoint's secret (Standard "
            "Webhooks: headers `webhook-id`, `webhook-timestamp`, `webhook-signature`). The secret is in this "
            "response only."
        ),
        request=WebhookEndpointCreateIn,
        responses={201: WebhookEndpointCreatedOut, **error_responses(*CREATE_ERRORS)},
        examples=[
            examples.request(
                "Bookings and cancellations",
                {
                    "url": "https://booking.example.org/hooks/clinic",
                    "description": "Booking website",
                    "event_types": ["appointment.created", "appointment.cancelled"],
                },
            ),
            examples.response("Registered", examples.WEBHOOK_ENDPOINT_CREATED, 201),
        ],
    ),
    partial_update=extend_schema(
        summary="Change or turn off a webhook endpoint",
        description="`active: false` turns it off; `active: true` turns it on again and forgets its failures.",
        request=WebhookEndpointUpdateIn,
        responses={200: WebhookEndpointOut, **error_responses(*UPDATE_ERRORS)},
        examples=[
            examples.request("Turn off", {"active": False}),
            examples.response("Turned off", examples.WEBHOOK_ENDPOINT_OFF),
        ],
    ),
    destroy=extend_schema(
        summary="Delete a webhook endpoint",
        description="With its delivery log; deliveries still waiting are dropped.",
        responses={204: None, **error_responses(*DETAIL_ERRORS)},
    ),
)
class WebhookEndpointViewSet(ApiViewSet):
    model = WebhookEndpoint
    output_serializer = WebhookEndpointOut
    permission_classes = [HasScope, ManagesWebhooks]
    ordering = ("-created_at", "-id")

    def list(self, request):
        return self.render_page(self.get_queryset())

    def retrieve(self, request, pk):
        return self.render_one(self.get_object())

    def create(self, request):
        data = self.parse(WebhookEndpointCreateIn)
        endpoint, secret = webhook_endpoint_create(**data, created_by=request.auth.user)
        response = self.render_one(endpoint, created=True)
        response.data = {**response.data, "secret": secret}
        return response

    def partial_update(self, request, pk):
        endpoint = self.get_object()
        changes = self.parse(WebhookEndpointUpdateIn)
        return self.render_one(webhook_endpoint_update(endpoint=endpoint, changed_by=request.auth.user, **changes))

    def destroy(self, request, pk):
        webhook_endpoint_delete(endpoint=self.get_object())
        return Response(status=204)

    @extend_schema(
        summary="An endpoint's deliveries",
        description=(
            "Newest first: each event sent to this endpoint, whether it arrived, the HTTP status of the last "
            "answer, what went wrong, and when it is tried next."
        ),
        responses={200: WebhookDeliveryOut(many=True), **error_responses(400, *DETAIL_ERRORS)},
        examples=[examples.page("deliveries", examples.WEBHOOK_DELIVERY)],
    )
    @action(detail=True, methods=["get"], url_path="deliveries")
    def deliveries(self, request, pk):
        endpoint = self.get_object()
        log = WebhookDelivery.objects.filter(endpoint=endpoint)
        return self.render_page(
            log, columns=WebhookDeliveryOut.COLUMNS, ordering=("-created_at", "-id"), output=WebhookDeliveryOut
        )

    @extend_schema(
        summary="Send a test event",
        description=(
            "Sends a `ping` event to this endpoint alone, once (no retries; a failure does not count towards "
            "turning it off). Follow it in the deliveries."
        ),
        request=None,
        responses={202: WebhookDeliveryOut, **error_responses(*UPDATE_ERRORS)},
        examples=[examples.response("Queued", examples.WEBHOOK_PING, 202)],
    )
    @action(detail=True, methods=["post"], url_path="ping")
    def ping(self, request, pk):
        delivery = webhook_endpoint_ping(endpoint=self.get_object())
        row = WebhookDelivery.objects.filter(pk=delivery.pk).values(*WebhookDeliveryOut.COLUMNS).get()
        return Response(WebhookDeliveryOut(row).data, status=202)

    @extend_schema(
        summary="Rotate the signing secret",
        description=(
            "Makes a new secret, in this response only. Until `rotation_ends_at` (`overlap_hours` from now, "
            "24 by default) every delivery carries two signatures in `webhook-signature`, one per secret, "
            "space-separated; then only the new secret signs. Deploy the new secret to the receiver (accepting "
            "either signature) before then. A rotation during another ends the older secret at once."
        ),
        request=WebhookSecretRotateIn,
        responses={200: WebhookEndpointRotatedOut, **error_responses(*UPDATE_ERRORS)},
        examples=[
            examples.request("Overlap for two days", {"overlap_hours": 48}),
            examples.response("Rotated", examples.WEBHOOK_ENDPOINT_ROTATED),
        ],
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk):
        endpoint = self.get_object()
        options = self.parse(WebhookSecretRotateIn)
        endpoint, secret = webhook_endpoint_rotate_secret(endpoint=endpoint, **options)
        return Response({**self.output_serializer(endpoint).data, "secret": secret})
