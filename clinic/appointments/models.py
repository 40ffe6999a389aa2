"""One clinic's schedule: patients, providers and their working hours, appointment
types, appointments and each appointment's history (status changes and moves).

Every model is a TenantModel: scoped by its manager, isolated by row-level security,
and every reference between them is a composite (organization_id, id) foreign key
added in the migration, so no row can point into another clinic."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import IntegrityError, models, transaction
from django.db.models import F, Func, Q
from django.utils import timezone

from clinic.appointments.errors import SlotConflict
from clinic.appointments.querysets import ActiveManager, AppointmentManager, PatientManager, search_key
from clinic.core.constraints import is_exclusion_violation, violated_constraint
from clinic.core.phones import clinic_phone_region, normalize_phone
from clinic.core.timezones import format_span
from tenancy.models import Organization, TenantModel, validate_timezone

# Birth dates before this are typos (a year of 1090 for 1990), not patients.
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)

validate_colour = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", "Enter a colour as #rrggbb, e.g. #3b82f6.", code="invalid_colour"
)


class Patient(TenantModel):
    class SmsConsent(models.TextChoices):
        OPTED_IN = "opted_in", "Opted in"
        OPTED_OUT = "opted_out", "Opted out"

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    # Required on every form; empty only once the patient's data is erased.
    date_of_birth = models.DateField(null=True)
    phone = models.CharField(max_length=32, help_text="Stored in E.164, e.g. +14155550123.")
    email = models.EmailField(blank=True)
    # A patient who texts STOP is opted out; change it only through
    # services.patient_set_sms_consent, which records when.
    sms_consent = models.CharField(max_length=10, choices=SmsConsent.choices, default=SmsConsent.OPTED_IN)
    sms_consent_changed_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    # Where the patient lives, when the phone number does not say (a US toll-free
    # number, a country of many zones) or says wrong (a number kept after a move).
    # Empty: the number's own zones. Texts respect quiet hours in this zone.
    timezone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text="IANA time zone, e.g. America/New_York. Empty: taken from the phone number.",
    )
    # Set by clinic.data_rights.services.patient_erase(): the row stays, pseudonymised,
    # for the appointments that must be kept.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    # search_key(first + last name) and search_key(last name), kept by save(): what
    # search() matches. Collation "C" so that a prefix is a plain range (see search()).
    search_name = models.CharField(max_length=201, editable=False, default="", db_collation="C")
    search_last = models.CharField(max_length=100, editable=False, default="", db_collation="C")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatientManager()

    class Meta(TenantModel.Meta):
        ordering = ["last_name", "first_name"]
        constraints = [*TenantModel.Meta.constraints]
        indexes = [
            # Inbound texts and the opt-out list find patients by number. Several
            # patients may share one (a parent's phone for their children).
            models.Index(fields=["organization", "phone"], name="appt_patient_org_phone_idx"),
            models.Index(fields=["organization", "last_name", "first_name"], name="appt_patient_org_name_idx"),
            # search(): a name's first or last word by prefix, as ranges on these two.
            models.Index(fields=["organization", "search_name"], name="appt_patient_org_search_idx"),
            models.Index(fields=["organization", "search_last"], name="appt_patient_org_slast_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def clean(self) -> None:
        self.first_name = self.first_name.strip()
        self.last_name = self.last_name.strip()
        errors = {}
        if self.phone and self.erased_at is None:  # an erased patient's is a placeholder
            try:
                self.phone = normalize_phone(self.phone, clinic_phone_region(self.organization_id))
            except ValidationError as exc:
                errors["phone"] = exc.messages
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            errors["date_of_birth"] = "The date of birth is in the future."
        elif self.date_of_birth and self.date_of_birth < EARLIEST_BIRTH_DATE:
            errors["date_of_birth"] = f"The date of birth is before {EARLIEST_BIRTH_DATE.year}: check the year."
        if errors:
            raise ValidationError(errors)

    def sharing_phone(self):
        """The clinic's other patients with this number (a family phone): texts to it
        reach them all, and its opt-out is theirs."""
        if not self.phone:
            return Patient.objects.none()
        return Patient.objects.filter(phone=self.phone, erased_at__isnull=True).exclude(pk=self.pk)

    def save(self, *args, **kwargs) -> None:
        self.search_name = search_key(self.full_name)
        self.search_last = search_key(self.last_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"first_name", "last_name"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_name", "search_last"}
        super().save(*args, **kwargs)


class Provider(TenantModel):
    """Who sees patients: a doctor, a hygienist, a therapist."""

    name = models.CharField(max_length=200)
    title = models.CharField(max_length=50, blank=True, help_text="Shown before the name, e.g. Dr.")
    specialty = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True, help_text="Inactive providers cannot be booked.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActiveManager()

    class Meta(TenantModel.Meta):
        ordering = ["name"]
        indexes = [models.Index(fields=["organization", "name"], name="appt_provider_org_name_idx")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.title} {self.name}".strip()


class WorkingHours(TenantModel):
    """When a provider works on one weekday; no row means a day off."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta(TenantModel.Meta):
        verbose_name_plural = "working hours"
        ordering = ["provider", "weekday"]
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organization", "provider", "weekday"],
                name="appointments_workinghours_one_per_day",
                violation_error_message="This provider already has working hours on that weekday.",
            ),
            models.CheckConstraint(
                condition=Q(starts__lt=F("ends")),
                name="appointments_workinghours_starts_before_ends",
                violation_error_message="Working hours must end after they start.",
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="appointments_workinghours_weekday_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}: {self.get_weekday_display()} {self.starts:%H:%M}\N{EN DASH}{self.ends:%H:%M}"


class AppointmentType(TenantModel):
    MIN_DURATION = 5
    MAX_DURATION = 480

    name = models.CharField(max_length=100)
    default_duration = models.PositiveSmallIntegerField(
        help_text="Minutes.", validators=[MinValueValidator(MIN_DURATION), MaxValueValidator(MAX_DURATION)]
    )
    colour = models.CharField(max_length=7, default="#3b82f6", validators=[validate_colour])
    active = models.BooleanField(default=True, help_text="Inactive types cannot be booked.")

    objects = ActiveManager()

    class Meta(TenantModel.Meta):
        ordering = ["name"]
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["organization", "name"],
                name="appointments_appointmenttype_org_name_uniq",
                violation_error_message="This clinic already has an appointment type with this name.",
            ),
            models.CheckConstraint(
                condition=Q(default_duration__gte=5, default_duration__lte=480),
                name="appointments_appointmenttype_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(colour__regex=r"^#[0-9a-f]{6}$"), name="appointments_appointmenttype_colour_hex"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.colour = self.colour.lower()

    def save(self, *args, **kwargs) -> None:
        self.colour = self.colour.lower()
        super().save(*args, **kwargs)


def _overlap_constraint(field: str, message: str) -> ExclusionConstraint:
    """No two appointments that hold their slot may overlap for one `field` (provider
    or patient). Half-open ranges '[)': back-to-back appointments are fine."""
    return ExclusionConstraint(
        name=f"appointments_appointment_no_{field}_overlap",
        expressions=[
            ("organization", RangeOperators.EQUAL),
            (field, RangeOperators.EQUAL),
            # A plain Func rather than a subclass keeps the migration free of app imports.
            (
                Func("starts_at", "ends_at", RangeBoundary(), function="TSTZRANGE", output_field=DateTimeRangeField()),
                RangeOperators.OVERLAPS,
            ),
        ],
        condition=~Q(status__in=["cancelled", "no_show"]),
        violation_error_code=f"{field}_overlap",
        violation_error_message=message,
    )


class Appointment(TenantModel):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CONFIRMED = "confirmed", "Confirmed"
        ARRIVED = "arrived", "Arrived"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    # Which status may follow which, as a front desk works:
    # - scheduled and confirmed: the patient confirms, checks in, cancels or does not
    #   come. Rescheduling a confirmed appointment withdraws the confirmation
    #   (confirmed -> scheduled): the patient confirmed the old time.
    # - arrived: the visit is completed, or the patient leaves unseen (cancelled).
    # - completed is final: the visit happened; corrections go in the notes.
    # - cancelled -> scheduled reinstates a cancellation made in error, and
    #   no_show -> arrived records a patient who came late after all. Both take the
    #   slot again, so the overlap constraints must still allow it.
    # - no_show only once the appointment has started (see transition_problem).
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.SCHEDULED: frozenset({Status.CONFIRMED, Status.ARRIVED, Status.CANCELLED, Status.NO_SHOW}),
        Status.CONFIRMED: frozenset({Status.SCHEDULED, Status.ARRIVED, Status.CANCELLED, Status.NO_SHOW}),
        Status.ARRIVED: frozenset({Status.COMPLETED, Status.CANCELLED}),
        Status.COMPLETED: frozenset(),
        Status.CANCELLED: frozenset({Status.SCHEDULED}),
        Status.NO_SHOW: frozenset({Status.ARRIVED}),
    }
    # The statuses in Status order, and as a set: asked of every appointment on the day
    # schedule, where building Status.values or iterating the enum each time showed.
    STATUS_ORDER = tuple(Status)
    STATUS_VALUES = frozenset(Status.values)
    # These free their slot (the exclusion constraints' condition says the same).
    INACTIVE_STATUSES = (Status.CANCELLED, Status.NO_SHOW)
    # Once the visit is over or off, only the notes may change.
    CLOSED_STATUSES = (Status.COMPLETED, Status.CANCELLED, Status.NO_SHOW)
    # What rescheduling moves; see clean().
    SCHEDULE_FIELDS = ("patient_id", "provider_id", "appointment_type_id", "starts_at", "ends_at")
    OVERLAP_CONSTRAINTS = {
        "appointments_appointment_no_provider_overlap": "provider",
        "appointments_appointment_no_patient_overlap": "patient",
    }

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, db_constraint=False, db_index=False, related_name="appointments"
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, db_constraint=False, db_index=False, related_name="appointments"
    )
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, db_constraint=False, db_index=False, related_name="appointments"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    # db_constraint=False: the migration adds the key with ON DELETE SET NULL in the
    # database, because deleting a user must clear it in every clinic's rows, and
    # Django's own SET_NULL runs under RLS and sees one clinic at most.
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
    )
    # How many times the appointment has changed since it was booked: the services (the
    # one write path) add one with every change they save. Calendar feeds publish it
    # as the event's SEQUENCE, which calendar apps compare to keep the newest version.
    # A database default too: rows inserted by SQL (imports, tests) start at 0 as well.
    sequence = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    objects = AppointmentManager()

    class Meta(TenantModel.Meta):
        ordering = ["starts_at"]
        constraints = [
            *TenantModel.Meta.constraints,
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="appointments_appointment_ends_after_start",
                violation_error_message="An appointment must end after it starts.",
            ),
            _overlap_constraint("provider", "The provider already has an appointment at this time."),
            _overlap_constraint("patient", "The patient already has an appointment at this time."),
        ]
        indexes = [
            models.Index(fields=["organization", "starts_at"], name="appt_appt_org_starts_idx"),
            models.Index(fields=["organization", "provider", "starts_at"], name="appt_appt_org_provider_idx"),
            models.Index(fields=["organization", "patient", "starts_at"], name="appt_appt_org_patient_idx"),
            models.Index(fields=["organization", "appointment_type"], name="appt_appt_org_type_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} with {self.provider}, {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def holds_slot(self) -> bool:
        return self.status not in self.INACTIVE_STATUSES

    def can_transition_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]

    def allowed_statuses(self, now: dt.datetime) -> list[str]:
        """The statuses the appointment may move to now, in Status order: the buttons
        the staff pages offer (the services check the same rule when one is pressed)."""
        # can_transition_to first: the problem's words are only made for a status the
        # transitions allow (the day schedule asks this of every appointment shown).
        return [
            status
            for status in self.STATUS_ORDER
            if self.can_transition_to(status) and self.transition_problem(status, now) is None
        ]

    def transition_problem(self, status: str, now: dt.datetime) -> str | None:
        """Why the appointment cannot move to `status` now, or None if it can."""
        if not isinstance(status, str) or status not in self.STATUS_VALUES:
            return f"{status!r} is not an appointment status."
        if not self.can_transition_to(status):
            current, wanted = self.get_status_display().lower(), self.Status(status).label.lower()
            return f"A {current} appointment cannot become {wanted}."
        if status == self.Status.NO_SHOW and now < self.starts_at:
            return "An appointment can be marked as a no-show only once it has started."
        return None

    def clean(self) -> None:
        stored = self._stored_values()
        errors = {}
        for name in ("provider", "appointment_type"):
            chosen = self._related_or_none(name)
            newly_chosen = stored is None or stored[f"{name}_id"] != getattr(self, f"{name}_id")
            if chosen is not None and newly_chosen and not chosen.active:
                errors[name] = f"{chosen} is inactive and cannot be booked."
        if stored is not None and stored["status"] in self.CLOSED_STATUSES:
            if any(stored[name] != getattr(self, name) for name in self.SCHEDULE_FIELDS):
                errors[NON_FIELD_ERRORS] = "Only the notes of a completed, cancelled or no-show appointment can change."
        if errors:
            raise ValidationError(errors)

    def _related_or_none(self, name: str):
        """The related object, or None if unset or not one of this clinic's (clean_fields reports that)."""
        try:
            return getattr(self, name)
        except ObjectDoesNotExist:
            return None

    def _stored_values(self) -> dict | None:
        """The row as the database has it, for rules about what changed (None if new)."""
        if self._state.adding:
            return None
        return Appointment.objects.filter(pk=self.pk).values("status", *self.SCHEDULE_FIELDS).first()

    def validate_constraints(self, exclude=None) -> None:
        """Django's checks, but an overlap names the appointment in the way, which a
        constraint's fixed message cannot."""
        if exclude and self.status in self.Status.values:
            # The overlap constraints' condition reads the status; Django cannot
            # evaluate it once the status is excluded (as it is from forms that do
            # not show it), and a valid stored status needs no excluding.
            exclude = set(exclude) - {"status"}
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict({})
            errors[NON_FIELD_ERRORS] = [
                self.slot_conflict(error.code.removesuffix("_overlap"))
                if error.code in ("provider_overlap", "patient_overlap")
                else error
                for error in errors.get(NON_FIELD_ERRORS, [])
            ]
            raise ValidationError({field: messages for field, messages in errors.items() if messages}) from None

    def save(self, *args, **kwargs) -> None:
        """In a savepoint: when an overlap constraint refuses the row (another booking
        committed first), the transaction survives and the conflict is named."""
        try:
            with transaction.atomic(using=kwargs.get("using")):
                super().save(*args, **kwargs)
        except IntegrityError as exc:
            by = self.OVERLAP_CONSTRAINTS.get(violated_constraint(exc) or "") if is_exclusion_violation(exc) else None
            if by is None:
                raise
            raise self.slot_conflict(by) from exc

    def find_conflict(self, by: str) -> Appointment | None:
        """The appointment of the same `by` ('provider' or 'patient') that overlaps this one."""
        same = {f"{by}_id": getattr(self, f"{by}_id")}
        overlapping = Appointment.objects.active().overlapping(self.starts_at, self.ends_at).filter(**same)
        return overlapping.exclude(pk=self.pk).with_related().order_by("starts_at").first()

    def slot_conflict(self, by: str) -> SlotConflict:
        conflict = self.find_conflict(by)
        if conflict is None:
            message = "That time was just taken. Choose another time."
        else:
            zone = Organization.objects.get(pk=conflict.organization_id).zone
            span = f"{format_span(conflict.starts_at, conflict.ends_at, zone)} ({zone.key})"
            if by == "provider":
                message = f"{conflict.provider} already has {conflict.patient} at {span}"
            else:
                message = f"{conflict.patient} already has an appointment with {conflict.provider} at {span}"
        return SlotConflict(message, code=f"{by}_overlap", conflicting=conflict)

    def record_status_change(self, *, from_status: str, changed_by, via: str = "staff") -> AppointmentStatusChange:
        return AppointmentStatusChange.objects.create(
            appointment=self,
            from_status=from_status,
            to_status=self.status,
            changed_by=changed_by,
            changed_at=self.status_changed_at,
            via=via,
        )


class AppointmentStatusChange(TenantModel):
    """One step in an appointment's history. The first row records the booking
    (from_status is empty); `via` says which surface made the change."""

    class Via(models.TextChoices):
        STAFF = "staff", "Staff pages"
        ADMIN = "admin", "Admin"
        API = "api", "API"
        SMS = "sms", "SMS reply"
        LINK = "link", "Confirmation link"
        SYSTEM = "system", "System"

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="status_changes"
    )
    from_status = models.CharField(max_length=16, choices=Appointment.Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Appointment.Status.choices)
    # As on Appointment: the database sets it to NULL when the user is deleted.
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
    )
    changed_at = models.DateTimeField(default=timezone.now)
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.STAFF)

    class Meta(TenantModel.Meta):
        ordering = ["changed_at"]
        indexes = [
            models.Index(fields=["organization", "appointment", "changed_at"], name="appt_status_org_appt_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_from_status_display() or 'booked'} \N{RIGHTWARDS ARROW} {self.get_to_status_display()}"


class AppointmentMove(TenantModel):
    """A new time or provider for an appointment: where it was and where it went, for
    its history. Written by services.appointment_update() with the move itself."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="moves"
    )
    from_starts_at = models.DateTimeField()
    from_ends_at = models.DateTimeField()
    to_starts_at = models.DateTimeField()
    to_ends_at = models.DateTimeField()
    # Providers are deactivated, never deleted, so both stay readable.
    from_provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, db_constraint=False, db_index=False, related_name="+"
    )
    to_provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, db_constraint=False, db_index=False, related_name="+"
    )
    # As on Appointment: the database sets it to NULL when the user is deleted.
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
    )
    changed_at = models.DateTimeField(default=timezone.now)
    via = models.CharField(
        max_length=10, choices=AppointmentStatusChange.Via.choices, default=AppointmentStatusChange.Via.STAFF
    )

    class Meta(TenantModel.Meta):
        ordering = ["changed_at"]
        indexes = [
            models.Index(fields=["organization", "appointment", "changed_at"], name="appt_move_org_appt_idx"),
        ]

    def describe(self, zone: ZoneInfo) -> str:
        """'Moved from Mon 7 Dec 09:30 with Dr Lee to Tue 8 Dec 10:00 with Dr Shah', in `zone`."""
        was = f"{self.from_starts_at.astimezone(zone):%a %-d %b %H:%M} with {self.from_provider}"
        now = f"{self.to_starts_at.astimezone(zone):%a %-d %b %H:%M} with {self.to_provider}"
        return f"Moved from {was} to {now}"

    def __str__(self) -> str:
        moved = f"{self.from_starts_at:%Y-%m-%d %H:%M} \N{RIGHTWARDS ARROW} {self.to_starts_at:%Y-%m-%d %H:%M}"
        return f"Moved {moved} (UTC)"
