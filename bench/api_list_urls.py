"""The product's URLs plus the minimal view bench/api_list.py compares the API with."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from clinic.api.keys import hash_key, lookup
from clinic.api.models import ApiKey
from clinic.appointments.models import Appointment
from clinic.urls import urlpatterns as product_urls
from tenancy.context import tenant_context
from tenancy.models import Organization

FIELDS = (
    "id",
    "patient_id",
    "provider_id",
    "appointment_type_id",
    "starts_at",
    "ends_at",
    "status",
    "notes",
    "status_changed_at",
    "created_at",
    "updated_at",
)


@csrf_exempt
def appointments(request: HttpRequest) -> JsonResponse:
    """The same JSON as the API's first page (fields, order, time zone), with the same
    tenant work and nothing else."""
    key = request.headers["Authorization"].removeprefix("Bearer ")
    found = lookup(hash_key(key))
    limit = int(request.GET.get("limit", 50))
    with tenant_context(org=found.organization_id):
        ApiKey.objects.filter(pk=found.key_id).values_list("hash", "last_used_at", "revoked_at").first()
        zone = Organization.objects.get(pk=found.organization_id).zone
        rows = list(Appointment.objects.order_by("starts_at", "id").values(*FIELDS)[:limit])
    results = [
        {
            "id": str(row["id"]),
            "patient": str(row["patient_id"]),
            "provider": str(row["provider_id"]),
            "appointment_type": str(row["appointment_type_id"]),
            "starts_at": row["starts_at"].astimezone(zone).isoformat(),
            "ends_at": row["ends_at"].astimezone(zone).isoformat(),
            "status": row["status"],
            "notes": row["notes"],
            "status_changed_at": row["status_changed_at"].astimezone(zone).isoformat(),
            "created_at": row["created_at"].astimezone(zone).isoformat(),
            "updated_at": row["updated_at"].astimezone(zone).isoformat(),
        }
        for row in rows
    ]
    return JsonResponse({"next": None, "results": results})


urlpatterns = [path("bench/appointments/", appointments), *product_urls]
