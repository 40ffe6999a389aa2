"""Forms for the staff shell. None has an `organization` field: the clinic always
comes from the session, so there is nothing in a request to bind one to."""

from __future__ import annotations

from django import forms

from tenancy.models import Membership


class ClinicSwitchForm(forms.Form):
    # The user's own membership, not an organization id: looked up with user=request.user.
    membership = forms.UUIDField()


def role_choices(roles: list[str]) -> list[tuple[str, str]]:
    return [(value, label) for value, label in Membership.Role.choices if value in roles]


class MemberInviteForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        help_text="The address they sign in with. They need an account already.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.STAFF)

    def __init__(self, *args, roles: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(roles)


class MemberRoleForm(forms.Form):
    # Every role is a valid choice here; whether this manager may grant it is the
    # service's rule, and its message explains the refusal better than "invalid choice".
    role = forms.ChoiceField(choices=Membership.Role.choices)
