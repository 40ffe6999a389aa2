"""Forms for tenant data, shared by the admin and the product's own pages."""

from __future__ import annotations

from django import forms

ORG_FIELD = "organization"


class TenantModelForm(forms.ModelForm):
    """A ModelForm for a tenant model: the organization is never a field, yet the
    unique and exclusion constraints that include it are still validated.

    Django leaves out of validation every model field the form does not show, and
    so would skip each constraint that names `organization` (all of them, on tenant
    tables): a duplicate would reach the database and fail there as a server error.
    The instance takes the current organization first, and the organization stays
    in the validation."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.claim_for_current_org()

    def _get_validation_exclusions(self) -> set[str]:
        return super()._get_validation_exclusions() - {ORG_FIELD}
