"""Forms for the staff shell. None has an `organization` field: the clinic always
comes from the session, so there is nothing in a request to bind one to."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm, UserCreationForm

from tenancy.models import Membership

EMAIL_MAX_LENGTH = 254


class SignInForm(AuthenticationForm):
    """Django's sign-in form, for a username or an email address
    (clinic.accounts.backends). One error for every refusal, so it does not tell
    which part was wrong, or whether the account exists."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Please enter a correct username or email and password. The password is case-sensitive.",
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.label = "Username or email"
        # An address may be longer than a username (150).
        field.max_length = field.widget.attrs["maxlength"] = EMAIL_MAX_LENGTH


class ClinicSwitchForm(forms.Form):
    # The user's own membership, not an organization id: looked up with user=request.user.
    membership = forms.UUIDField()


def role_choices(roles: list[str]) -> list[tuple[str, str]]:
    return [(value, label) for value, label in Membership.Role.choices if value in roles]


class MemberInviteForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        help_text="We email them a link to join. They sign in, or create an account, with this address.",
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


class ErrorsUnderPassword:
    """Mixed into Django's new-password forms: a password that is too short, too common
    or not the same twice is reported under the password field, where people typed it
    and read the rules, not under its confirmation (Django's choice), and it is the
    password itself that is checked against the rules."""

    CONFIRMED = {"password2": "password1", "new_password2": "new_password1"}

    def validate_passwords(self, password1_field_name="password1", password2_field_name="password2") -> None:
        password = self.cleaned_data.get(password1_field_name)
        confirmation = self.cleaned_data.get(password2_field_name)
        if password and confirmation and password != confirmation:
            mismatch = forms.ValidationError(self.error_messages["password_mismatch"], code="password_mismatch")
            self.add_error(password1_field_name, mismatch)

    def validate_password_for_user(self, user, password_field_name="password2") -> None:  # noqa: S107 (a field name)
        super().validate_password_for_user(user, self.CONFIRMED.get(password_field_name, password_field_name))


class NewPasswordForm(ErrorsUnderPassword, SetPasswordForm):
    """The password reset link's form."""


class ChangePasswordForm(ErrorsUnderPassword, PasswordChangeForm):
    """The signed-in user's password change."""


class InvitationSignUpForm(ErrorsUnderPassword, UserCreationForm):
    """A new account for the invited address, made on the invitation page. The email
    is the invitation's, never a field: the link proves the person reads that mailbox.
    Passwords are checked by AUTH_PASSWORD_VALIDATORS (UserCreationForm)."""

    first_name = forms.CharField(max_length=150, label="First name")
    last_name = forms.CharField(max_length=150, label="Last name")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "first_name", "last_name")

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Set before validation, so the similarity validator compares the password
        # with the address too.
        self.instance.email = email
        self.fields["username"].help_text = "What you type to sign in. Letters, digits and @ . + - _ only."

    def clean(self):
        cleaned = super().clean()
        if get_user_model()._default_manager.filter(email__iexact=self.instance.email).exists():
            raise forms.ValidationError("An account with this address exists already. Sign in instead.")
        return cleaned
