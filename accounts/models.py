from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .validators import normalise_plate, validate_latitude_longitude, validate_plate, validate_tax_code


class User(AbstractUser):
    """Portal account. What a user may see or do comes from memberships and jurisdictions (accounts.policy)."""

    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone number"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.full_name or self.get_full_name() or self.username

    @property
    def display_name(self):
        return str(self)


class Organisation(models.Model):
    name = models.CharField(_("organisation name"), max_length=255)
    tax_code = models.CharField(_("tax code"), max_length=14, unique=True, validators=[validate_tax_code])
    is_generator = models.BooleanField(_("waste generator"), default=False)
    is_transporter = models.BooleanField(_("transporter"), default=False)
    is_facility = models.BooleanField(_("hazardous waste treatment facility"), default=False)
    address = models.CharField(_("head office address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=Q(is_generator=True) | Q(is_transporter=True) | Q(is_facility=True),
                name="organisation_has_a_kind",
                violation_error_message=_("Choose at least one type: waste generator, transport or treatment."),
            ),
        ]

    def __str__(self):
        return self.name

    def kinds_display(self):
        kinds = []
        if self.is_generator:
            kinds.append(_("waste generator"))
        if self.is_transporter:
            kinds.append(_("transport"))
        if self.is_facility:
            kinds.append(_("hazardous waste treatment"))
        return ", ".join(str(k) for k in kinds)


class Site(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="sites", verbose_name=_("organisation")
    )
    name = models.CharField(_("site name"), max_length=255)
    address = models.CharField(_("address"), max_length=255)
    province = models.ForeignKey(
        "gis.Province", on_delete=models.PROTECT, related_name="sites", verbose_name=_("province")
    )
    ward = models.ForeignKey("gis.Ward", on_delete=models.PROTECT, related_name="sites", verbose_name=_("commune/ward"))
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    legacy_code = models.CharField(
        _("former hazardous waste management code"), max_length=30, blank=True, help_text=_("For example 89.000025.T; copy it exactly as in the old register.")
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
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
            errors["ward"] = _("This commune/ward is not in the selected province.")
        try:
            validate_latitude_longitude(self.latitude, self.longitude)
        except ValidationError as exc:
            # On both fields: the pair is wrong, and the database range checks then stay quiet.
            errors["latitude"] = errors["longitude"] = exc
        if errors:
            raise ValidationError(errors)


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", pgettext_lazy("membership role", "Administrator")
        MEMBER = "member", pgettext_lazy("membership role", "Member")
        DRIVER = "driver", pgettext_lazy("membership role", "Driver")
        VIEWER = "viewer", pgettext_lazy("membership role", "View only")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organisation")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    # Printed in the signature blocks of the manifest copy: the law names a person and their position.
    position = models.CharField(_("position"), max_length=100, blank=True, help_text=_("For example: Head of the environment department."))
    sites = models.ManyToManyField(
        Site,
        blank=True,
        related_name="limited_memberships",
        verbose_name=_("limited to sites"),
        help_text=_("Leave empty: works for every site of the organisation."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "user__username"]
        verbose_name = _("organisation member")
        verbose_name_plural = _("organisation members")
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

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="jurisdiction", verbose_name=_("official"))
    province = models.ForeignKey(
        "gis.Province",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="officials",
        verbose_name=_("province"),
        help_text=_("Leave empty: nationwide (Department of Environment)."),
    )
    authority = models.CharField(
        _("authority"), max_length=255, blank=True, help_text=_("For example: Hanoi Department of Agriculture and Environment.")
    )

    class Meta:
        verbose_name = _("official's jurisdiction")
        verbose_name_plural = _("officials' jurisdictions")

    def __str__(self):
        return f"{self.user} – {self.province or _('Nationwide')}"

    @property
    def is_national(self):
        return self.province_id is None


class Permit(models.Model):
    """A treatment facility's environmental permit (GPMT): what it may treat, how, and how much a year."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="permits", verbose_name=_("treatment facility"))
    number = models.CharField(_("permit number"), max_length=100, help_text=_("For example 2519/GPMT-UBND."))
    issuer = models.CharField(_("issued by"), max_length=255)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    waste_codes = models.ManyToManyField(
        "catalog.WasteCode", blank=True, related_name="permits", verbose_name=_("permitted waste codes")
    )
    treatment_methods = models.ManyToManyField(
        "catalog.TreatmentMethod", blank=True, related_name="permits", verbose_name=_("permitted treatment methods")
    )
    yearly_capacity_kg = models.DecimalField(
        _("yearly capacity (kg)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    # Decree 08/2022: hazardous waste travels in the generator's own vehicles or in those of a licensed facility
    # whose permit covers the transport and lists each vehicle.
    covers_transport = models.BooleanField(_("covers hazardous waste transport"), default=False)
    vehicles = models.ManyToManyField(
        "Vehicle", blank=True, related_name="permits", verbose_name=_("vehicles listed on the permit")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-valid_until", "number"]
        verbose_name = _("environmental permit")
        verbose_name_plural = _("environmental permits")
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
            errors["valid_until"] = _("The expiry date must be after the start of validity.")
        organisation = self.site.organisation if self.site_id else None
        if organisation and not (organisation.is_facility or (organisation.is_transporter and self.covers_transport)):
            errors["site"] = _(
                "A permit is issued for a site of a hazardous waste treatment facility, or of a transporter when it covers transport."
            )
        if errors:
            raise ValidationError(errors)

    def uncovered_codes(self, codes):
        """The waste codes among `codes` (WasteCode objects or code text) that the permit does not cover, sorted.

        The one coverage check of the project, by code text: a permit may list the codes of an older catalog
        version, and a code keeps its meaning from one version to the next.
        """
        wanted = {getattr(code, "code", code) for code in codes}
        if not wanted:
            return []
        covered = set(self.waste_codes.filter(code__in=wanted).values_list("code", flat=True))
        return sorted(wanted - covered)

    def is_valid_on(self, day=None):
        day = day or timezone.localdate()
        return self.valid_from <= day <= self.valid_until

    @classmethod
    def transport_permits(cls, organisation_id=None, day=None):
        """Permits in force on the day that cover hazardous waste transport (of one organisation, or of all)."""
        day = day or timezone.localdate()
        permits = cls.objects.filter(covers_transport=True, valid_from__lte=day, valid_until__gte=day)
        return permits if organisation_id is None else permits.filter(site__organisation_id=organisation_id)


class Vehicle(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="vehicles", verbose_name=_("organisation")
    )
    plate = models.CharField(_("licence plate"), max_length=15, unique=True, validators=[validate_plate])
    description = models.CharField(_("description"), max_length=255, blank=True)
    capacity_kg = models.DecimalField(
        _("load capacity (kg)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100000)],
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["plate"]
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")

    def __str__(self):
        return self.plate

    def save(self, *args, **kwargs):
        self.plate = normalise_plate(self.plate)
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None):
        # Normalise before the format validator runs, so '51c 12345' is accepted as 51C-123.45.
        self.plate = normalise_plate(self.plate)
        super().clean_fields(exclude=exclude)


class AuditEvent(models.Model):
    """Append-only, hash-chained record of every state change (accounts.audit writes it).

    One chain per subject ("manifest:42", "organisation:7"): each event stores the hash of the previous
    event of its chain, and its own hash (HMAC-SHA256 under a key kept outside the database) covers its content
    and that previous hash, so editing or deleting history breaks the chain (manage.py verify_audit_chain). On
    PostgreSQL triggers refuse UPDATE, DELETE and TRUNCATE.
    """

    chain = models.CharField(_("chain"), max_length=60)
    seq = models.PositiveIntegerField(_("sequence number"))
    action = models.CharField(_("action"), max_length=60)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("performed by")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("organisation")
    )
    role = models.CharField(_("role"), max_length=30, blank=True)
    created_at = models.DateTimeField(_("time (UTC)"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    accuracy_m = models.DecimalField(_("position accuracy (m)"), max_digits=9, decimal_places=1, null=True, blank=True)
    data = models.JSONField(_("content"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True)
    hash = models.CharField(_("hash"), max_length=64, unique=True)
    # Which key (settings.HWMS_AUDIT_KEY_ID) the HMAC was computed with; "" for the unkeyed SHA-256 events written
    # before keys were introduced, accepted only as a prefix vouched for by a keyed event or a checkpoint.
    key_id = models.CharField(_("key id"), max_length=16, blank=True, default="")

    class Meta:
        ordering = ["chain", "seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        constraints = [
            # Two writers appending to one chain at once: the second fails instead of forking the chain.
            models.UniqueConstraint(fields=["chain", "seq"], name="auditevent_unique_seq_per_chain"),
        ]

    def __str__(self):
        return f"{self.chain}#{self.seq} {self.action}"


class AuditHead(models.Model):
    """The last event of each audit chain (sequence and hash), written in the same transaction as the event.

    Appending to a chain locks its head row, so concurrent writers to one chain take turns whatever else they
    lock. verify_audit_chain compares every chain's last event with its head: an event deleted from the end of a
    chain, or a whole chain deleted, no longer goes unnoticed. On PostgreSQL a trigger lets a head move only one
    step forward, onto the event just written, and refuses DELETE.
    """

    chain = models.CharField(_("chain"), max_length=60, primary_key=True)
    seq = models.PositiveIntegerField(_("sequence number"), default=0)
    hash = models.CharField(_("hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")

    def __str__(self):
        return f"{self.chain}#{self.seq}"
