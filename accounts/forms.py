from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from gis.models import Province, Ward

from .models import Membership, Site, User


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("Tên đăng nhập hoặc mật khẩu không đúng. Lưu ý chữ hoa và chữ thường."),
        "inactive": _("Tài khoản này đã bị khoá."),
    }


class MemberCreateForm(forms.Form):
    """An organisation admin creates the account of a new colleague (drivers often have no e-mail)."""

    username = forms.CharField(label=_("Tên đăng nhập"), max_length=150)
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    email = forms.EmailField(label=_("Thư điện tử"), required=False)
    phone = forms.CharField(label=_("Số điện thoại"), max_length=20, required=False)
    password = forms.CharField(
        label=_("Mật khẩu ban đầu"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Ít nhất 8 ký tự; người dùng nên đổi sau lần đăng nhập đầu."),
    )
    role = forms.ChoiceField(label=_("Vai trò"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER)
    sites = forms.ModelMultipleChoiceField(
        label=_("Giới hạn ở các cơ sở"),
        queryset=Site.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Để trống: làm việc cho mọi cơ sở của tổ chức."),
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sites"].queryset = organisation.sites.filter(active=True)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("Tên đăng nhập này đã có người dùng. Chọn tên khác."))
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
    class Meta:
        model = Membership
        fields = ["role", "sites"]
        widgets = {"sites": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sites"].queryset = self.instance.organisation.sites.filter(active=True)


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["name", "address", "province", "ward", "latitude", "longitude", "legacy_code", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = Province.objects.all()
        # Only the wards of the chosen province are offered (and accepted).
        province_id = self.data.get(self.add_prefix("province")) or self.instance.province_id
        try:
            province_id = int(province_id) if province_id else None
        except (TypeError, ValueError):
            province_id = None
        self.fields["ward"].queryset = Ward.objects.filter(province_id=province_id) if province_id else Ward.objects.none()
        self.fields["ward"].error_messages["invalid_choice"] = _("Xã/phường này không thuộc tỉnh/thành phố đã chọn.")
        self.fields["ward"].widget.attrs["data-ward-select"] = "1"
        self.fields["province"].widget.attrs["data-province-select"] = "1"
        for name in ("latitude", "longitude"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "any"})
        self.fields["latitude"].help_text = _("Độ thập phân, ví dụ 21.028511.")
        self.fields["longitude"].help_text = _("Độ thập phân, ví dụ 105.804817.")
