from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from common.integers import MAX_SMALL, BoundedModelMultipleChoiceField, bounded_formfield, bounded_int
from gis.models import Province, Ward

from .models import Membership, Site, User


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("Incorrect username or password. Note that both are case-sensitive."),
        "inactive": _("This account has been locked."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # AuthenticationForm sets the username's max_length after building the field, without its validator: a
        # longer name went on to authenticate(), and django-axes' record of the failure (255 characters) answered
        # 500 on PostgreSQL.
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))


class MemberCreateForm(forms.Form):
    """An organisation admin creates the account of a new colleague (drivers often have no e-mail)."""

    username = forms.CharField(label=_("Username"), max_length=150)
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone number"), max_length=20, required=False)
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_("At least 8 characters; the user should change it after the first login."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER)
    sites = BoundedModelMultipleChoiceField(
        label=_("Limited to sites"),
        queryset=Site.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty: works for every site of the organisation."),
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sites"].queryset = organisation.sites.filter(active=True)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is already taken. Choose another one."))
        User.username_validator(username)
        return username

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            candidate = User(username=cleaned.get("username", ""), full_name=cleaned.get("full_name", ""))
            try:
                validate_password(password, candidate)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class MembershipForm(forms.ModelForm):
    formfield_callback = bounded_formfield

    class Meta:
        model = Membership
        fields = ["role", "sites"]
        widgets = {"sites": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sites"].queryset = self.instance.organisation.sites.filter(active=True)


class SiteForm(forms.ModelForm):
    formfield_callback = bounded_formfield

    class Meta:
        model = Site
        fields = ["name", "address", "province", "ward", "latitude", "longitude", "legacy_code", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = Province.objects.all()
        # Only the wards of the chosen province are offered (and accepted).
        province_id = bounded_int(self.data.get(self.add_prefix("province")) or self.instance.province_id, 1, MAX_SMALL)
        self.fields["ward"].queryset = Ward.objects.filter(province_id=province_id) if province_id else Ward.objects.none()
        self.fields["ward"].error_messages["invalid_choice"] = _("This commune/ward is not in the selected province.")
        self.fields["ward"].widget.attrs["data-ward-select"] = "1"
        self.fields["province"].widget.attrs["data-province-select"] = "1"
        for name in ("latitude", "longitude"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "any"})
        self.fields["latitude"].help_text = _("Decimal degrees, e.g. 21.028511.")
        self.fields["longitude"].help_text = _("Decimal degrees, e.g. 105.804817.")


CODE_HELP = _("The 6 digits shown by your authenticator app, or one of your recovery codes.")


class SecondFactorForm(forms.Form):
    """The code of the second factor: six digits from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=CODE_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
    )


class ConfirmAuthenticatorForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}),
    )


class ReauthenticateForm(forms.Form):
    """Password and a current code again, before recovery codes are replaced or two-factor sign-in turned off."""

    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=CODE_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )
