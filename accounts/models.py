from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .validators import normalize_plate, validate_latitude_longitude, validate_plate, validate_tax_code


class User(AbstractUser):
    """Portal account. What a user may see or do comes from memberships and jurisdictions (accounts.policy)."""

    full_name = models.CharField(_("họ và tên"), max_length=150, blank=True)
    phone = models.CharField(_("số điện thoại"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")

    def __str__(self):
        return self.full_name or self.get_full_name() or self.username

    @property
    def display_name(self):
        return str(self)


class Organisation(models.Model):
    name = models.CharField(_("tên tổ chức"), max_length=255)
    tax_code = models.CharField(_("mã số thuế"), max_length=14, unique=True, validators=[validate_tax_code])
    is_generator = models.BooleanField(_("chủ nguồn thải"), default=False)
    is_transporter = models.BooleanField(_("đơn vị vận chuyển"), default=False)
    is_facility = models.BooleanField(_("cơ sở xử lý CTNH"), default=False)
    address = models.CharField(_("địa chỉ trụ sở"), max_length=255, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    email = models.EmailField(_("thư điện tử"), blank=True)
    active = models.BooleanField(_("đang hoạt động"), default=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tổ chức")
        verbose_name_plural = _("tổ chức")
        constraints = [
            models.CheckConstraint(
                condition=Q(is_generator=True) | Q(is_transporter=True) | Q(is_facility=True),
                name="organisation_has_a_kind",
                violation_error_message=_("Chọn ít nhất một loại hình: chủ nguồn thải, vận chuyển hoặc xử lý."),
            ),
        ]

    def __str__(self):
        return self.name

    def kinds_display(self):
        kinds = []
        if self.is_generator:
            kinds.append(_("chủ nguồn thải"))
        if self.is_transporter:
            kinds.append(_("vận chuyển"))
        if self.is_facility:
            kinds.append(_("xử lý CTNH"))
        return ", ".join(str(k) for k in kinds)


class Site(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="sites", verbose_name=_("tổ chức")
    )
    name = models.CharField(_("tên cơ sở"), max_length=255)
    address = models.CharField(_("địa chỉ"), max_length=255)
    province = models.ForeignKey(
        "gis.Province", on_delete=models.PROTECT, related_name="sites", verbose_name=_("tỉnh/thành phố")
    )
    ward = models.ForeignKey("gis.Ward", on_delete=models.PROTECT, related_name="sites", verbose_name=_("xã/phường"))
    latitude = models.DecimalField(_("vĩ độ"), max_digits=8, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("kinh độ"), max_digits=9, decimal_places=6, null=True, blank=True)
    legacy_code = models.CharField(
        _("mã số QLCTNH cũ"), max_length=30, blank=True, help_text=_("Ví dụ 89.000025.T; giữ nguyên như trên sổ cũ.")
    )
    active = models.BooleanField(_("đang hoạt động"), default=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = _("cơ sở")
        verbose_name_plural = _("cơ sở")
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="site_position_both_or_neither",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=6, latitude__lte=24),
                name="site_latitude_in_vietnam_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=102, longitude__lte=118),
                name="site_longitude_in_vietnam_range",
            ),
        ]
        indexes = [models.Index(fields=["province", "organisation"], name="site_province_org_idx")]

    def __str__(self):
        return f"{self.name} ({self.organisation})"

    def clean(self):
        errors = {}
        if self.ward_id and self.province_id and self.ward.province_id != self.province_id:
            errors["ward"] = _("Xã/phường này không thuộc tỉnh/thành phố đã chọn.")
        try:
            validate_latitude_longitude(self.latitude, self.longitude)
        except ValidationError as exc:
            errors["latitude"] = exc
        if errors:
            raise ValidationError(errors)


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", pgettext_lazy("membership role", "Quản trị")
        MEMBER = "member", pgettext_lazy("membership role", "Thành viên")
        DRIVER = "driver", pgettext_lazy("membership role", "Lái xe")
        VIEWER = "viewer", pgettext_lazy("membership role", "Chỉ xem")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("người dùng"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("tổ chức")
    )
    role = models.CharField(_("vai trò"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    sites = models.ManyToManyField(
        Site,
        blank=True,
        related_name="limited_memberships",
        verbose_name=_("giới hạn ở các cơ sở"),
        help_text=_("Để trống: làm việc cho mọi cơ sở của tổ chức."),
    )
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "user__username"]
        verbose_name = _("thành viên tổ chức")
        verbose_name_plural = _("thành viên tổ chức")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique_user_org"),
            models.CheckConstraint(
                condition=Q(role__in=["admin", "member", "driver", "viewer"]), name="membership_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} – {self.organisation} ({self.get_role_display()})"


class Jurisdiction(models.Model):
    """An official's area: one province, or the whole country when province is empty."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="jurisdiction", verbose_name=_("cán bộ"))
    province = models.ForeignKey(
        "gis.Province",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="officials",
        verbose_name=_("tỉnh/thành phố"),
        help_text=_("Để trống: toàn quốc (Cục Môi trường)."),
    )
    authority = models.CharField(
        _("cơ quan"), max_length=255, blank=True, help_text=_("Ví dụ: Sở Nông nghiệp và Môi trường Hà Nội.")
    )

    class Meta:
        verbose_name = _("địa bàn quản lý của cán bộ")
        verbose_name_plural = _("địa bàn quản lý của cán bộ")

    def __str__(self):
        return f"{self.user} – {self.province or _('Toàn quốc')}"

    @property
    def is_national(self):
        return self.province_id is None


class Permit(models.Model):
    """A treatment facility's environmental permit (GPMT): what it may treat, how, and how much a year."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="permits", verbose_name=_("cơ sở xử lý"))
    number = models.CharField(_("số giấy phép"), max_length=100, help_text=_("Ví dụ 2519/GPMT-UBND."))
    issuer = models.CharField(_("cơ quan cấp"), max_length=255)
    valid_from = models.DateField(_("hiệu lực từ"))
    valid_until = models.DateField(_("hiệu lực đến"))
    waste_codes = models.ManyToManyField(
        "manifests.WasteCode", blank=True, related_name="permits", verbose_name=_("mã chất thải được phép")
    )
    treatment_methods = models.ManyToManyField(
        "manifests.TreatmentMethod", blank=True, related_name="permits", verbose_name=_("phương pháp xử lý được phép")
    )
    yearly_capacity_kg = models.DecimalField(
        _("công suất năm (kg)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        ordering = ["-valid_until", "number"]
        verbose_name = _("giấy phép môi trường")
        verbose_name_plural = _("giấy phép môi trường")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "number"], name="permit_unique_number_per_issuer"),
            models.CheckConstraint(condition=Q(valid_until__gte=models.F("valid_from")), name="permit_dates_ordered"),
            models.CheckConstraint(condition=Q(yearly_capacity_kg__gte=0), name="permit_capacity_not_negative"),
        ]

    def __str__(self):
        return f"{self.number} – {self.site.name}"

    def clean(self):
        errors = {}
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = _("Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực.")
        if self.site_id and not self.site.organisation.is_facility:
            errors["site"] = _("Giấy phép xử lý chỉ cấp cho cơ sở của một cơ sở xử lý CTNH.")
        if errors:
            raise ValidationError(errors)

    def is_valid_on(self, day=None):
        day = day or timezone.localdate()
        return self.valid_from <= day <= self.valid_until


class Vehicle(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="vehicles", verbose_name=_("tổ chức")
    )
    plate = models.CharField(_("biển số"), max_length=15, unique=True, validators=[validate_plate])
    description = models.CharField(_("mô tả"), max_length=255, blank=True)
    capacity_kg = models.DecimalField(
        _("tải trọng (kg)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100000)],
    )
    active = models.BooleanField(_("đang hoạt động"), default=True)

    class Meta:
        ordering = ["plate"]
        verbose_name = _("phương tiện")
        verbose_name_plural = _("phương tiện")

    def __str__(self):
        return self.plate

    def save(self, *args, **kwargs):
        self.plate = normalize_plate(self.plate)
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None):
        # Normalise before the format validator runs, so '51c 12345' is accepted as 51C-123.45.
        self.plate = normalize_plate(self.plate)
        super().clean_fields(exclude=exclude)


class AuditEvent(models.Model):
    """Append-only, hash-chained record of every state change (accounts.audit writes it).

    One chain per subject ("manifest:42", "organisation:7"): each event stores the hash of the previous
    event of its chain, and its own hash covers its content and that previous hash, so editing or deleting
    history breaks the chain (manage.py verify_audit_chain). On PostgreSQL a trigger refuses UPDATE/DELETE.
    """

    chain = models.CharField(_("chuỗi"), max_length=60)
    seq = models.PositiveIntegerField(_("số thứ tự"))
    action = models.CharField(_("hành động"), max_length=60)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("người thực hiện")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("tổ chức")
    )
    role = models.CharField(_("vai trò"), max_length=30, blank=True)
    created_at = models.DateTimeField(_("thời điểm (UTC)"))
    ip = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    user_agent = models.CharField(_("trình duyệt"), max_length=300, blank=True)
    latitude = models.DecimalField(_("vĩ độ"), max_digits=8, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("kinh độ"), max_digits=9, decimal_places=6, null=True, blank=True)
    accuracy_m = models.DecimalField(_("sai số vị trí (m)"), max_digits=9, decimal_places=1, null=True, blank=True)
    data = models.JSONField(_("nội dung"), default=dict, blank=True)
    prev_hash = models.CharField(_("mã băm trước"), max_length=64, blank=True)
    hash = models.CharField(_("mã băm"), max_length=64, unique=True)

    class Meta:
        ordering = ["chain", "seq"]
        verbose_name = _("sự kiện nhật ký")
        verbose_name_plural = _("nhật ký kiểm toán")
        constraints = [
            # Two writers appending to one chain at once: the second fails instead of forking the chain.
            models.UniqueConstraint(fields=["chain", "seq"], name="auditevent_unique_seq_per_chain"),
        ]

    def __str__(self):
        return f"{self.chain}#{self.seq} {self.action}"
