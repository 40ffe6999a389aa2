"""Forms of the two-factor pages: they parse; devices.py and the services act."""

from __future__ import annotations

from django import forms

CODE_ATTRS = {"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false", "autofocus": True}


class CodeForm(forms.Form):
    """A code from the app, or a recovery code: these are offered only to someone who
    has unused ones (`recovery_codes`), never before they exist."""

    APP_HELP = "The 6-digit code your authenticator app shows."
    RECOVERY_HELP = "The 6-digit code your authenticator app shows, or one of your recovery codes."

    def __init__(self, *args, recovery_codes: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.recovery_codes = recovery_codes
        self.fields["code"].help_text = self.RECOVERY_HELP if recovery_codes else self.APP_HELP


class SignInCodeForm(CodeForm):
    code = forms.CharField(label="Code", max_length=32, widget=forms.TextInput(attrs=CODE_ATTRS))


class AppCodeForm(forms.Form):
    code = forms.CharField(
        label="6-digit code from the app",
        max_length=16,
        widget=forms.TextInput(attrs={**CODE_ATTRS, "inputmode": "numeric"}),
    )


class TurnOffForm(CodeForm):
    APP_HELP = "From your authenticator app."
    RECOVERY_HELP = "From your authenticator app, or one of your recovery codes."

    code = forms.CharField(
        label="A current code", max_length=32, widget=forms.TextInput(attrs={**CODE_ATTRS, "autofocus": False})
    )


class SecuritySettingsForm(forms.Form):
    require_two_factor = forms.BooleanField(
        label="Require two-factor sign-in for owners and admins",
        required=False,
        help_text="Owners and admins without it are asked to set it up before they can open any page of this "
        "clinic. Staff members are not affected.",
    )
