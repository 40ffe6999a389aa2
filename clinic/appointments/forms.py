"""Forms of the staff pages. None has an `organization` field: the clinic comes from
the session, and every choice (patient, provider, type) from the scoped managers, so
a posted `organization` or another clinic's id has nothing to bind to.

Forms parse and check input; they never write. The views hand what they parsed to
the services (clinic.appointments.services), and show what a service refuses on the
form (add_service_errors)."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import F, Func, OuterRef, Q, QuerySet, Subquery
from django.utils.formats import date_format

from clinic.appointments import guards
from clinic.appointments.models import Appointment, AppointmentType, Patient, Provider, WorkingHours
from clinic.core.dates import LocalDateField
from clinic.core.phones import clinic_phone_region, format_phone
from clinic.core.row_lists import records_from, rows_of
from clinic.core.timezones import NonexistentLocalTime, localize, to_local
from tenancy.forms import TenantModelForm
from tenancy.zones import ZoneField, ZoneInput

# The schedule can be browsed this far; further is a typo (and date arithmetic
# near year 1 or 9999 would overflow).
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)
# How many patients the appointment form lists at once; the search box narrows them.
PATIENT_CHOICES_LIMIT = 100


def time_input(**attrs) -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time", **attrs}, format="%H:%M")


def check_day_in_range(day: dt.date | None) -> dt.date | None:
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise forms.ValidationError(
            f"Choose a date between {FIRST_DAY.year} and {LAST_DAY.year}.", code="date_out_of_range"
        )
    return day


def add_service_errors(form: forms.Form, exc: ValidationError, field_map: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on the form: on the field it names when the form
    has it (under its form name, per `field_map`), above the form otherwise."""
    field_map = field_map or {}
    for name, errors in exc.update_error_dict({}).items():
        target = field_map.get(name, name)
        form.add_error(target if target in form.fields and name != NON_FIELD_ERRORS else None, errors)


def parse_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


class DayForm(forms.Form):
    """The `?date=` of the schedule (ISO from its links, the clinic's order from its box),
    and `&provider=`: whose column a phone shows."""

    date = LocalDateField(required=False, label="Go to date")
    provider = forms.UUIDField(required=False)

    def clean_date(self) -> dt.date | None:
        return check_day_in_range(self.cleaned_data["date"])


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Appointment.Status.choices)


# --- Appointments ----------------------------------------------------------------


class PatientChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Patient) -> str:
        return patient_label(obj)


def patient_label(patient: Patient) -> str:
    if patient.date_of_birth is None:  # erased
        return f"{patient.last_name}, {patient.first_name}"
    return f"{patient.last_name}, {patient.first_name} (born {date_format(patient.date_of_birth, 'SHORT_DATE_FORMAT')})"


class WarningCodesField(forms.MultipleChoiceField):
    """Hidden codes of the booking guards' warnings. One that is empty or unknown
    confirms nothing (the warning is asked again), rather than being an error the
    page has no place to show."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs) -> None:
        super().__init__(choices=[(code, code) for code in guards.CODES], **kwargs)

    def to_python(self, value) -> list[str]:
        return [code for code in super().to_python(value) if code in guards.CODES]


def _active_or(model: type[Provider | AppointmentType], pk) -> QuerySet:
    active = model.objects.order_by(*model._meta.ordering)
    return active.filter(Q(active=True) | Q(pk=pk)) if pk else active.filter(active=True)


def with_choices(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """`appointments` with the providers and types their edit form offers as columns
    of their read (`provider_rows`, `type_rows`), for AppointmentForm."""
    return appointments.annotate(
        provider_rows=rows_of(_active_or(Provider, OuterRef("provider_id"))),
        type_rows=rows_of(_active_or(AppointmentType, OuterRef("appointment_type_id"))),
    )


class AppointmentForm(forms.Form):
    """Book or reschedule: a local date and start time in the clinic's zone, the end
    from the type's duration unless given."""

    # The box belongs to the page's separate patient search form (form="patient-search"):
    # Enter in it searches, and Enter in any field of this form saves, as its first
    # and only submit button is the save button.
    patient_query = forms.CharField(
        required=False,
        label="Find a patient",
        help_text="Name, phone or date of birth; then choose from the list.",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "form": "patient-search"}),
    )
    patient = PatientChoiceField(queryset=Patient.objects.none(), empty_label="Choose a patient")
    provider = forms.ModelChoiceField(queryset=Provider.objects.none(), empty_label="Choose a provider")
    appointment_type = forms.ModelChoiceField(
        queryset=AppointmentType.objects.none(), empty_label="Choose a type", label="Type"
    )
    date = LocalDateField()
    start_time = forms.TimeField(label="Starts", widget=time_input(step=300))
    end_time = forms.TimeField(
        label="Ends",
        required=False,
        help_text="Leave empty for the type's usual length.",
        widget=time_input(step=300),
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    # The booking guards' warnings the page showed (hidden), and whether the person
    # books despite them: a warning not shown yet still stops the booking.
    warned = WarningCodesField(required=False)
    book_anyway = forms.BooleanField(required=False, label="Book anyway, despite the warnings above")

    # Where the services report a problem, and the field that shows it.
    SERVICE_FIELDS = {"starts_at": "start_time", "ends_at": "end_time"}

    def __init__(self, *args, zone: ZoneInfo, instance: Appointment | None = None, **kwargs) -> None:
        self.zone = zone
        self.instance = instance
        if instance is not None:
            kwargs["initial"] = {**self._initial_from(instance), **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self._set_choices()
        self.patient_matches = self.patients_listed = 0
        self.booking_warnings: list[guards.BookingWarning] = []

    def _initial_from(self, appointment: Appointment) -> dict:
        starts, ends = to_local(appointment.starts_at, self.zone), to_local(appointment.ends_at, self.zone)
        usual = appointment.ends_at - appointment.starts_at == dt.timedelta(
            minutes=appointment.appointment_type.default_duration
        )
        return {
            "patient": appointment.patient_id,
            "provider": appointment.provider_id,
            "appointment_type": appointment.appointment_type_id,
            "date": starts.date(),
            "start_time": starts.time(),
            "end_time": None if usual else ends.time(),
            "notes": appointment.notes,
        }

    def _set_choices(self) -> None:
        current = self.instance
        # Inactive providers and types cannot be booked, but an appointment keeps its own.
        self.fields["provider"].queryset = _active_or(Provider, current and current.provider_id)
        self.fields["appointment_type"].queryset = _active_or(AppointmentType, current and current.appointment_type_id)
        self.fields["patient"].queryset = Patient.objects.all()
        if hasattr(current, "provider_rows"):  # read with_choices()
            self._list(self.fields["provider"], records_from(Provider, current.provider_rows))
            self._list(self.fields["appointment_type"], records_from(AppointmentType, current.type_rows))

    @staticmethod
    def _list(field: forms.ModelChoiceField, records: list) -> None:
        # The choices shown; the queryset still decides what a submitted id may be.
        field.widget.choices = [("", field.empty_label), *((r.pk, field.label_from_instance(r)) for r in records)]

    def limit_patient_choices(self, query: str) -> None:
        """List only the patients matching `query` (and the one already chosen), so a
        clinic with thousands of patients still gets a short list."""
        matches = Patient.objects.search(query)
        # The matches counted in the list's own read: an uncorrelated subquery, which
        # PostgreSQL runs once, as it would the count on its own.
        counted = matches.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
        shown = list(matches.annotate(match_count=Subquery(counted))[:PATIENT_CHOICES_LIMIT])
        self.patient_matches, self.patients_listed = shown[0].match_count if shown else 0, len(shown)
        chosen = self._chosen_patient()
        if chosen is not None and chosen not in shown:
            shown.insert(0, chosen)
        field = self.fields["patient"]
        field.widget.choices = [("", field.empty_label), *((p.pk, patient_label(p)) for p in shown)]

    def confirmed_warnings(self) -> list[str]:
        """The warning codes the person booked despite (none unless "Book anyway" is ticked)."""
        return self.cleaned_data["warned"] if self.cleaned_data.get("book_anyway") else []

    def ask_to_confirm(self, warnings: list[guards.BookingWarning]) -> None:
        """Show `warnings` with an unticked "Book anyway": a new set is confirmed anew."""
        self.booking_warnings = warnings
        data = self.data.copy()
        data.setlist(self.add_prefix("warned"), [warning.code for warning in warnings])
        data.pop(self.add_prefix("book_anyway"), None)
        self.data = data

    def carried_values(self) -> list[tuple[str, str]]:
        """The values the page shows, as its fields would post them: the patient search
        form posts them back, so a search keeps what was already chosen."""
        carried = []
        for name in self.fields:
            if name in ("patient_query", "warned", "book_anyway"):
                continue
            field = self[name]
            shown = field.field.widget.format_value(field.value())
            for value in shown if isinstance(shown, list) else [shown]:
                if value not in (None, ""):
                    carried.append((field.html_name, str(value)))
        return carried

    def _chosen_patient(self) -> Patient | None:
        raw = self.data.get(self.add_prefix("patient")) if self.is_bound else self.initial.get("patient")
        pk = parse_uuid(raw)
        if pk is None:
            return None
        if self.instance is not None and pk == self.instance.patient_id:
            return self.instance.patient  # read with the appointment
        return Patient.objects.filter(pk=pk).first()

    def clean_date(self) -> dt.date | None:
        return check_day_in_range(self.cleaned_data["date"])

    def clean(self) -> dict:
        data = super().clean()
        day, start = data.get("date"), data.get("start_time")
        if day is None or start is None:
            return data
        try:
            data["starts_at"] = localize(day, start, self.zone)
        except NonexistentLocalTime as exc:
            self.add_error("start_time", exc)
            return data
        data["ends_at"] = None  # the type's usual length, which the services work out
        end = data.get("end_time")
        if end is None or not self._end_counts():
            return data
        try:
            data["ends_at"] = localize(day, end, self.zone)
        except NonexistentLocalTime as exc:
            self.add_error("end_time", exc)
            return data
        if data["ends_at"] <= data["starts_at"]:
            self.add_error("end_time", "The appointment must end after it starts.")
        return data

    def _end_counts(self) -> bool:
        """Whether the end as shown is the one asked for: always for a booking; for an
        edit only when the end itself was changed. Moving only the start keeps the
        length, which appointment_update() works out."""
        return self.instance is None or "end_time" in self.changed_data

    def service_fields(self) -> dict:
        """What appointment_book() takes."""
        names = ("patient", "provider", "appointment_type", "starts_at", "ends_at", "notes")
        return {name: self.cleaned_data[name] for name in names}

    def changed_service_fields(self) -> dict:
        """What appointment_update() should change: only what was edited, so a visit
        that is over can take new notes without its times being touched. The end goes
        along when it was edited (None: the type's usual length), or when the type
        changed and no end is given; a start moved alone keeps the length."""
        fields = self.service_fields()
        changed = set(self.changed_data)
        keep = {name for name in ("patient", "provider", "appointment_type", "notes") if name in changed}
        if changed & {"date", "start_time"}:
            keep.add("starts_at")
        if "end_time" in changed or ("appointment_type" in changed and self.cleaned_data["end_time"] is None):
            keep.add("ends_at")
        return {name: value for name, value in fields.items() if name in keep}


# --- Patients --------------------------------------------------------------------


class PatientForm(TenantModelForm):
    # Empty: the quiet hours follow the zones of the patient's number.
    timezone = ZoneField(
        required=False, label="Time zone", widget=ZoneInput(attrs={"placeholder": "From the phone number"})
    )

    class Meta:
        model = Patient
        fields = ["first_name", "last_name", "date_of_birth", "phone", "email", "timezone", "notes"]
        field_classes = {"date_of_birth": LocalDateField}
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, clinic=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        region = clinic_phone_region(clinic=clinic)
        self.fields["phone"].help_text = f"Numbers without a country code are read as {region} numbers."
        if self.instance.phone and not self.is_bound:
            self.initial["phone"] = format_phone(self.instance.phone)

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class NewPatientForm(PatientForm):
    sms_opt_in = forms.BooleanField(
        required=False,
        initial=True,
        label="Agrees to appointment texts (SMS)",
        help_text="Later changes: the patient replying STOP or START, or staff on the patient's page.",
    )

    def service_fields(self) -> dict:
        consent = Patient.SmsConsent.OPTED_IN if self.cleaned_data["sms_opt_in"] else Patient.SmsConsent.OPTED_OUT
        return {**super().service_fields(), "sms_consent": consent}


# --- Setup -----------------------------------------------------------------------


class ProviderForm(TenantModelForm):
    class Meta:
        model = Provider
        fields = ["title", "name", "specialty", "active"]


class AppointmentTypeForm(TenantModelForm):
    class Meta:
        model = AppointmentType
        fields = ["name", "default_duration", "colour", "active"]
        labels = {"default_duration": "Length (minutes)"}
        widgets = {
            "default_duration": forms.NumberInput(
                attrs={"min": AppointmentType.MIN_DURATION, "max": AppointmentType.MAX_DURATION, "step": 5}
            ),
            "colour": forms.TextInput(attrs={"type": "color"}),
        }


class ProviderActiveForm(forms.Form):
    active = forms.BooleanField(required=False)


class WeeklyHoursForm(forms.Form):
    """A provider's working hours, one row per weekday; an unticked day is a day off."""

    def __init__(self, *args, provider: Provider, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.provider = provider
        current = {hours.weekday: hours for hours in provider.working_hours.all()}
        for day in WorkingHours.Weekday:
            hours = current.get(day.value)
            self.fields[f"works_{day.value}"] = forms.BooleanField(
                required=False, label=f"Works on {day.label}", initial=hours is not None
            )
            self.fields[f"starts_{day.value}"] = forms.TimeField(
                required=False,
                label=f"{day.label} from",
                initial=hours.starts if hours else dt.time(9),
                widget=time_input(step=300),
            )
            self.fields[f"ends_{day.value}"] = forms.TimeField(
                required=False,
                label=f"{day.label} until",
                initial=hours.ends if hours else dt.time(17),
                widget=time_input(step=300),
            )

    def days(self) -> list[tuple[str, forms.BoundField, forms.BoundField, forms.BoundField]]:
        """(weekday, works, from, until) rows for the template."""
        return [
            (day.label, self[f"works_{day.value}"], self[f"starts_{day.value}"], self[f"ends_{day.value}"])
            for day in WorkingHours.Weekday
        ]

    def clean(self) -> dict:
        data = super().clean()
        for day in WorkingHours.Weekday:
            if not data.get(f"works_{day.value}"):
                continue
            starts, ends = data.get(f"starts_{day.value}"), data.get(f"ends_{day.value}")
            if starts is None and f"starts_{day.value}" not in self.errors:
                self.add_error(f"starts_{day.value}", f"When does the day start on {day.label}?")
            if ends is None and f"ends_{day.value}" not in self.errors:
                self.add_error(f"ends_{day.value}", f"When does the day end on {day.label}?")
            if starts and ends and starts >= ends:
                self.add_error(f"ends_{day.value}", "Working hours must end after they start.")
        return data

    def hours(self) -> dict[int, tuple[dt.time, dt.time]]:
        """The week as services.working_hours_set() takes it: working weekdays only."""
        return {
            day.value: (self.cleaned_data[f"starts_{day.value}"], self.cleaned_data[f"ends_{day.value}"])
            for day in WorkingHours.Weekday
            if self.cleaned_data[f"works_{day.value}"]
        }
