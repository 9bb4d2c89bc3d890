"""Manifests (chứng từ CTNH), their lines, versions, revisions and the records that support transitions.

Status changes happen only in manifests.services (the status machine); nothing here changes a status.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts import policy
from catalog.models import PhysicalState, TreatmentMethod, WasteCode
from common import sql


class Status(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("manifest status", "Draft")
    SEALED = "sealed", pgettext_lazy("manifest status", "Awaiting generator signature")
    READY = "ready_for_pickup", pgettext_lazy("manifest status", "Ready for pickup")
    IN_TRANSIT = "in_transit", pgettext_lazy("manifest status", "In transit")
    DELIVERED = "delivered", pgettext_lazy("manifest status", "Delivered")
    RECEIVED = "received", pgettext_lazy("manifest status", "Received, treatment pending")
    COMPLETED = "completed", pgettext_lazy("manifest status", "Completed")
    REJECTED = "rejected", pgettext_lazy("manifest status", "Rejected")
    CANCELLED = "cancelled", pgettext_lazy("manifest status", "Cancelled")


class Packaging(models.TextChoices):
    DRUM = "drum", pgettext_lazy("packaging", "Drum")
    IBC = "ibc", pgettext_lazy("packaging", "IBC tank")
    BAG = "bag", pgettext_lazy("packaging", "Bag")
    BOX = "box", pgettext_lazy("packaging", "Box / carton")
    CONTAINER = "container", pgettext_lazy("packaging", "Closed container")
    BULK = "bulk", pgettext_lazy("packaging", "Bulk / tanker")
    OTHER = "other", pgettext_lazy("packaging", "Other")


class FollowUp(models.TextChoices):
    """What becomes of a rejected load still on the truck: each is a new manifest linked to the first."""

    RETURN = "return", pgettext_lazy("follow-up manifest", "Return to the generator")
    REDIRECT = "redirect", pgettext_lazy("follow-up manifest", "Redirect to another licensed facility")


# A draft's temporary reference starts with this; the official number is taken when it is sealed or signed.
DRAFT_REFERENCE_PREFIX = policy.DRAFT_REFERENCE_PREFIX


class Manifest(models.Model):
    # The official number (numbering.py), or a draft's temporary reference (DRAFT_REFERENCE_PREFIX): drafts do not
    # consume official numbers, so the numbers of a province and year stay gap-free.
    number = models.CharField(_("manifest number"), max_length=40, unique=True)
    # The number backwards, so that its end (the sequence a clerk types, "000123") is found by an index prefix.
    number_reversed = models.CharField(max_length=40, editable=False, default="")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(_("version"), default=1)

    # Parties. The organisations are denormalised from the sites so that scope queries stay single-join.
    generator = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="generated_manifests", verbose_name=_("generator")
    )
    generator_site = models.ForeignKey(
        "accounts.Site", on_delete=models.PROTECT, related_name="generated_manifests", verbose_name=_("generator site")
    )
    facility = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="received_manifests", verbose_name=_("treatment facility")
    )
    facility_site = models.ForeignKey(
        "accounts.Site", on_delete=models.PROTECT, related_name="received_manifests", verbose_name=_("facility site")
    )
    # None only on a manifest returning a rejected load to its generator, which needs no treatment permit.
    permit = models.ForeignKey(
        "accounts.Permit", on_delete=models.PROTECT, null=True, blank=True, related_name="manifests", verbose_name=_("facility permit")
    )
    # No index of its own: (transporter, status) and (transporter, planned_pickup_date, number) lead with it.
    transporter = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="transported_manifests",
        verbose_name=_("transporter"),
        db_index=False,
    )
    prepared_by = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="prepared_manifests",
        verbose_name=_("prepared by"),
        help_text=_("The generator, or the facility preparing the manifest on the generator's behalf."),
    )
    # Provinces of the generator site and of the facility site, copied when the parties are set: officials'
    # scopes and the statistics read them without joining the sites.
    province = models.ForeignKey("gis.Province", on_delete=models.PROTECT, related_name="+", verbose_name=_("province"))
    facility_province = models.ForeignKey(
        "gis.Province", on_delete=models.PROTECT, related_name="+", verbose_name=_("facility province")
    )
    # Sum of the declared line quantities, written with the lines (they change only in a draft).
    declared_kg = models.DecimalField(_("declared quantity (kg)"), max_digits=14, decimal_places=2, default=0)

    planned_pickup_date = models.DateField(_("planned pickup date"))
    note = models.TextField(_("note"), blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Generator's handover signature (password on the portal, or company code on the driver's phone).
    generator_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    generator_signed_at = models.DateTimeField(_("signed by generator at"), null=True, blank=True)
    generator_signature_method = models.CharField(max_length=20, blank=True)
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True)

    # Transport.
    vehicle = models.ForeignKey(
        "accounts.Vehicle", on_delete=models.PROTECT, null=True, blank=True, related_name="manifests", verbose_name=_("vehicle")
    )
    driver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("driver")
    )
    picked_up_at = models.DateTimeField(_("picked up at"), null=True, blank=True)
    pickup_latitude = models.DecimalField(max_digits=8, decimal_places=6, null=True, blank=True)
    pickup_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    pickup_accuracy_m = models.DecimalField(max_digits=9, decimal_places=1, null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivery_latitude = models.DecimalField(max_digits=8, decimal_places=6, null=True, blank=True)
    delivery_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    delivery_accuracy_m = models.DecimalField(max_digits=9, decimal_places=1, null=True, blank=True)

    # Facility.
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    has_discrepancy = models.BooleanField(_("discrepancy"), default=False)
    # Any line rejected, or the whole shipment refused.
    has_rejection = models.BooleanField(_("rejection"), default=False)
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    # Receipt beyond the permit's licensed yearly capacity: the facility is warned and officials see the flag.
    over_capacity = models.BooleanField(_("beyond licensed capacity"), default=False)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("completed by")
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
    # Cancelled because the generator refused a manifest another organisation prepared in its name
    # (manifests.services.refuse); cancel_reason holds the generator's reason.
    refused_by_generator = models.BooleanField(_("refused by the generator"), default=False)
    overdue_since = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)
    # A return or redirect of a rejected load points at the manifest it continues.
    # No index of its own: the unique constraint manifest_one_follow_up is one.
    origin = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("follows manifest"),
        db_index=False,
    )
    origin_kind = models.CharField(_("follow-up of a rejected load"), max_length=10, choices=FollowUp.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("manifest")
        verbose_name_plural = _("manifests")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="manifest_status_valid"),
            models.CheckConstraint(condition=Q(version__gte=1), name="manifest_version_positive"),
            # A manifest past the handover always carries the generator's signature and the vehicle.
            models.CheckConstraint(
                condition=Q(status__in=["draft", "sealed", "cancelled"]) | Q(generator_signed_at__isnull=False),
                name="manifest_signed_after_handover",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "sealed", "ready_for_pickup", "cancelled"])
                | Q(picked_up_at__isnull=False, vehicle__isnull=False),
                name="manifest_picked_up_in_transport",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(completed_at__isnull=False), name="manifest_completed_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""), name="manifest_rejected_has_reason"
            ),
            models.CheckConstraint(condition=Q(declared_kg__gte=0), name="manifest_declared_not_negative"),
            models.CheckConstraint(
                condition=Q(origin__isnull=True, origin_kind="") | Q(origin__isnull=False, origin_kind__in=FollowUp.values),
                name="manifest_follow_up_has_origin",
            ),
            # One follow-up (return or redirect) per rejected load.
            models.UniqueConstraint(fields=["origin"], name="manifest_one_follow_up"),
            # Only a return to the generator goes without a treatment permit.
            models.CheckConstraint(
                condition=Q(permit__isnull=False) | Q(origin_kind=FollowUp.RETURN), name="manifest_permit_unless_return"
            ),
        ]
        indexes = [
            # The number filter of the lists (manifests.filters): a prefix match, served by a pattern index on
            # PostgreSQL whatever the database's collation.
            # The number's prefix: PostgreSQL's own varchar_pattern_ops index of the unique number (Django's "_like").
            models.Index(fields=["number_reversed"], name="manifest_number_suffix", opclasses=["varchar_pattern_ops"]),
            # Lists and counts read the access index (ManifestAccess); the driver's page (manifests.views.driver)
            # and the facility's incoming page (manifests.views.facility) read the manifests' own columns, through
            # the indexes below: its counts (index-only, capped), and each section in its order, a walk of its rows.
            models.Index(fields=["transporter", "status"], name="manifest_transporter_status"),
            models.Index(
                fields=["transporter", "planned_pickup_date", "number"],
                name="manifest_transporter_pickups",
                condition=Q(status__in=["sealed", "ready_for_pickup"]),
            ),
            models.Index(
                fields=["transporter", "picked_up_at", "number"],
                name="manifest_transporter_carrying",
                condition=Q(status="in_transit"),
            ),
            # Incoming: counts per status and the "treatment pending" list of a facility site; the "coming" list.
            models.Index(
                fields=["facility_site", "status", "-created_at", "-id"],
                name="manifest_facility_site_open",
                condition=Q(status__in=["ready_for_pickup", "in_transit", "delivered", "received"]),
            ),
            models.Index(
                fields=["facility_site", "-created_at", "-id"],
                name="manifest_facility_site_coming",
                condition=Q(status__in=["ready_for_pickup", "in_transit", "delivered"]),
            ),
            models.Index(
                fields=["transporter", "-delivered_at"],
                name="manifest_transporter_delivered",
                condition=Q(delivered_at__isnull=False),
            ),
            # The daily overdue task scans in-transport manifests by pickup time.
            models.Index(
                fields=["picked_up_at"],
                name="manifest_open_after_pickup",
                condition=Q(status__in=["in_transit", "delivered", "received"]),
            ),
        ]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        self.number_reversed = self.number[::-1]
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "number_reversed"}
        super().save(*args, **kwargs)

    def save_statement(self, update_fields=None):
        """(sql, params) of save(update_fields=…), to send with other statements (the status machine sends it with
        the transition's audit event: one round trip)."""
        self.number_reversed = self.number[::-1]
        return sql.update_statement(self, None if update_fields is None else {*update_fields, "number_reversed"})

    @property
    def chain(self):
        """The audit chain of this manifest (accounts.AuditEvent)."""
        return f"manifest:{self.pk}"

    @property
    def has_official_number(self):
        return not self.number.startswith(DRAFT_REFERENCE_PREFIX)

    @property
    def is_private(self):
        """A draft, or a draft cancelled before it was ever sent: only the preparing organisation sees it."""
        return self.status == Status.DRAFT or (self.status == Status.CANCELLED and not self.has_official_number)

    @property
    def is_return(self):
        return self.origin_kind == FollowUp.RETURN

    @property
    def is_overdue(self):
        return self.overdue_since is not None and self.status not in (Status.COMPLETED, Status.REJECTED, Status.CANCELLED)

    @property
    def is_closed(self):
        return self.status in (Status.COMPLETED, Status.REJECTED, Status.CANCELLED)


class ManifestLine(models.Model):
    manifest = models.ForeignKey(Manifest, on_delete=models.CASCADE, related_name="lines", verbose_name=_("manifest"))
    position = models.PositiveSmallIntegerField(_("line"))
    waste_code = models.ForeignKey(WasteCode, on_delete=models.PROTECT, related_name="+", verbose_name=_("waste code"))
    description = models.CharField(_("waste description"), max_length=255)
    physical_state = models.CharField(_("physical state"), max_length=10, choices=PhysicalState.choices)
    packaging_type = models.CharField(_("packaging"), max_length=12, choices=Packaging.choices)
    packaging_count = models.PositiveIntegerField(_("number of packages"), validators=[MinValueValidator(1)])
    quantity_kg = models.DecimalField(
        _("quantity (kg)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0.01)]
    )
    # Planned at the handover (the facility's permit must cover it); "Khác" needs a description.
    planned_method = models.ForeignKey(
        TreatmentMethod, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("planned treatment method")
    )
    planned_method_note = models.CharField(_("planned method (description)"), max_length=255, blank=True)
    # Confirmed at the gate by the driver; beyond the tolerance against the declaration it is a discrepancy too.
    pickup_quantity_kg = models.DecimalField(_("quantity at pickup (kg)"), max_digits=12, decimal_places=2, null=True, blank=True)
    pickup_discrepancy = models.BooleanField(_("discrepancy at pickup"), default=False)
    # Recorded by the facility.
    received_quantity_kg = models.DecimalField(_("received quantity (kg)"), max_digits=12, decimal_places=2, null=True, blank=True)
    received_waste_code = models.ForeignKey(
        WasteCode, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("waste code received")
    )
    discrepancy = models.BooleanField(_("discrepancy"), default=False)
    discrepancy_comment = models.TextField(_("discrepancy comment"), blank=True)
    rejected = models.BooleanField(_("rejected"), default=False)
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    treatment_method = models.ForeignKey(
        TreatmentMethod, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("treatment method")
    )
    treatment_note = models.CharField(_("treatment method (description)"), max_length=255, blank=True)
    treated_on = models.DateField(_("treated on"), null=True, blank=True)

    class Meta:
        ordering = ["manifest", "position"]
        verbose_name = _("manifest line")
        verbose_name_plural = _("manifest lines")
        constraints = [
            models.UniqueConstraint(fields=["manifest", "position"], name="manifestline_unique_position"),
            models.CheckConstraint(condition=Q(quantity_kg__gt=0), name="manifestline_quantity_positive"),
            models.CheckConstraint(condition=Q(packaging_count__gte=1), name="manifestline_packages_positive"),
            models.CheckConstraint(
                condition=Q(pickup_quantity_kg__isnull=True) | Q(pickup_quantity_kg__gt=0),
                name="manifestline_pickup_quantity_positive",
            ),
            models.CheckConstraint(
                condition=Q(received_quantity_kg__isnull=True) | Q(received_quantity_kg__gte=0),
                name="manifestline_received_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(rejected=False) | ~Q(rejection_reason=""), name="manifestline_rejection_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(discrepancy=False) | ~Q(discrepancy_comment=""), name="manifestline_discrepancy_has_comment"
            ),
            models.CheckConstraint(
                condition=Q(treated_on__isnull=True) | Q(treatment_method__isnull=False),
                name="manifestline_treatment_has_method",
            ),
        ]

    def __str__(self):
        return f"{self.manifest.number} / {self.position}"

    @property
    def reference_quantity_kg(self):
        """What the facility's weighing is compared with: the gate quantity when the driver confirmed one."""
        return self.pickup_quantity_kg if self.pickup_quantity_kg is not None else self.quantity_kg

    @property
    def is_treated(self):
        return self.treated_on is not None


class ManifestSnapshot(models.Model):
    """The frozen content of a manifest at each signature and each approved revision (one row per version
    and step). Signed data is never edited in place: what a party signed is here, hashed."""

    manifest = models.ForeignKey(Manifest, on_delete=models.PROTECT, related_name="snapshots")
    version = models.PositiveIntegerField()
    step = models.CharField(max_length=30)
    content = models.JSONField()
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["manifest", "version", "id"]
        constraints = [models.UniqueConstraint(fields=["manifest", "version", "step"], name="snapshot_unique_step")]

    def __str__(self):
        return f"{self.manifest_id} v{self.version} {self.step}"


class ManifestCounter(models.Model):
    """Next sequence number per province and year; locked row by row so numbers never repeat."""

    province = models.ForeignKey("gis.Province", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["province", "year"], name="manifestcounter_unique_province_year")]

    def __str__(self):
        return f"{self.province_id}/{self.year}: {self.last}"


class IdempotencyRecord(models.Model):
    """A POST from a phone carries a key; a replay of the key returns the first result and writes nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    action = models.CharField(max_length=40)
    manifest = models.ForeignKey(Manifest, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_user_key")]

    def __str__(self):
        return f"{self.action} {self.key}"


class HandoverCode(models.Model):
    """A generator member's personal handover code (mã xác nhận bàn giao), typed on the driver's phone at the gate
    when nobody signed ahead: the record then names the person who handed the waste over.

    Stored hashed (Django's password hasher), changed by its holder, locked for a while after repeated wrong
    entries — the lock falls on this person's code only.
    """

    membership = models.OneToOneField("accounts.Membership", on_delete=models.CASCADE, related_name="handover_code")
    code_hash = models.CharField(max_length=200)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    rotated_at = models.DateTimeField()

    def __str__(self):
        return str(self.membership_id)


class HandoverEntryLock(models.Model):
    """Wrong handover codes typed from one driver's account, whichever generator person they were for.

    A driver (or a stolen phone) that keeps typing wrong codes is stopped here first, before it can lock the codes
    of the generator's people: the lock falls on this account's code entry, for HWMS_HANDOVER_ENTRY_LOCK_MINUTES.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return str(self.user_id)


class CapacityUsage(models.Model):
    """Kilograms received under a permit in a calendar year, kept by the reception: the capacity check reads
    one row instead of summing a large facility's year of lines."""

    permit = models.ForeignKey("accounts.Permit", on_delete=models.CASCADE, related_name="usage")
    year = models.PositiveSmallIntegerField()
    received_kg = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["permit", "year"], name="capacityusage_one_per_permit_year"),
            models.CheckConstraint(condition=Q(received_kg__gte=0), name="capacityusage_not_negative"),
        ]

    def __str__(self):
        return f"{self.permit_id}/{self.year}: {self.received_kg}"


class Revision(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("revision state", "Awaiting approval")
        APPROVED = "approved", pgettext_lazy("revision state", "Approved")
        REFUSED = "refused", pgettext_lazy("revision state", "Refused")

    manifest = models.ForeignKey(Manifest, on_delete=models.PROTECT, related_name="revisions", verbose_name=_("manifest"))
    base_version = models.PositiveIntegerField(_("revises version"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_by_org = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(_("reason for the revision"))
    # {"lines": {"<line id>": {"received_quantity_kg": "12.50", "treatment_method": "TĐ", ...}}}
    changes = models.JSONField(_("proposed changes"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        constraints = [
            # One open revision per manifest at a time: the parties decide on one proposal at once.
            models.UniqueConstraint(
                fields=["manifest"], condition=Q(state="pending"), name="revision_one_pending_per_manifest"
            ),
        ]

    def __str__(self):
        return f"{self.manifest_id} revision {self.pk}"


class RevisionDecision(models.Model):
    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="decisions")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved = models.BooleanField()
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["revision", "organisation"], name="revisiondecision_one_per_party")]

    def __str__(self):
        return f"{self.revision_id}: {self.organisation_id} {self.approved}"


class Notification(models.Model):
    """In-portal notice; e-mailed by a Celery task after the transaction that created it commits.

    Stored as a kind plus parameters so each reader sees it in their own language.
    """

    class Kind(models.TextChoices):
        READY = "ready_for_pickup", _("Ready for pickup")
        AWAITING_SIGNATURE = "awaiting_signature", _("Awaiting your signature")
        PICKED_UP = "picked_up", _("Picked up")
        DISCREPANCY = "discrepancy", _("Received with a discrepancy")
        REJECTED = "rejected", _("Rejected")
        COMPLETED = "completed", _("Completed")
        REVISION_REQUESTED = "revision_requested", _("Revision requested")
        REVISION_DECIDED = "revision_decided", _("Revision decided")
        OVERDUE = "overdue", _("Overdue")
        CANCELLED = "cancelled", _("Cancelled")
        OVER_CAPACITY = "over_capacity", _("Received beyond the licensed capacity")
        FOLLOW_UP = "follow_up", _("Rejected load returned or redirected")
        PREPARED_FOR_YOU = "prepared_for_you", _("Prepared in your name by another organisation")
        REFUSED = "refused_by_generator", _("Refused by the generator")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    # The organisation of which the user was told as a member; empty for an official (jurisdiction). The user sees
    # the notice only while that membership lasts (manifests.notifications.visible_q).
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    manifest = models.ForeignKey(Manifest, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_user_unread"),
            # The notifications page: the user's, newest first, keyset-paged.
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_recent"),
        ]

    def __str__(self):
        return f"{self.kind} → {self.user_id}"


class ManifestAccess(models.Model):
    """Who may find a manifest in a list: one row per scope that reaches it, kept by manifests.access.

    A scope is an organisation party to the manifest (with the site through which it takes part, for members
    limited to some sites), a province (the generator's and the facility's, for provincial officials), or the
    whole country. Each row copies the manifest's status, creation time and flags, so that every list of every
    role is one walk down one index in (created_at, manifest) order, and its counts are read from AccessCount.
    The rule of who sees what is accounts.policy.manifest_q; this table materialises it (a test compares them).
    """

    class Kind(models.IntegerChoices):
        ORGANISATION = policy.SCOPE_ORGANISATION
        PROVINCE = policy.SCOPE_PROVINCE
        COUNTRY = policy.SCOPE_COUNTRY

    manifest = models.ForeignKey(Manifest, on_delete=models.CASCADE, related_name="access")
    kind = models.PositiveSmallIntegerField(choices=Kind.choices)
    ref = models.BigIntegerField(help_text="organisation id, province code, or 0 for the country")
    site = models.ForeignKey("accounts.Site", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    # A generator that treats its own waste at another of its sites takes part through both.
    other_site = models.ForeignKey("accounts.Site", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    transports = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices)
    created_at = models.DateTimeField()
    # The provinces of the generator and of the facility (codes), for the province filter of the lists.
    province = models.PositiveSmallIntegerField(default=0)
    facility_province = models.PositiveSmallIntegerField(default=0)
    has_discrepancy = models.BooleanField(default=False)
    has_rejection = models.BooleanField(default=False)
    overdue = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "ref", "manifest"], name="manifestaccess_one_row_per_scope"),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="manifestaccess_status_valid"),
        ]
        indexes = [
            # Every list (manifests.selectors.manifest_page): a scope's manifests, newest first, keyset-paged.
            models.Index(fields=["kind", "ref", "-created_at", "-manifest"], name="access_scope_recent"),
            # The same, filtered by status (lists, the driver's and the facility's pages) or by province.
            models.Index(fields=["kind", "ref", "status", "-created_at", "-manifest"], name="access_scope_status_recent"),
            models.Index(fields=["kind", "ref", "province", "-created_at", "-manifest"], name="access_scope_province_recent"),
            # Officials' oversight lists.
            models.Index(fields=["kind", "ref", "-created_at", "-manifest"], name="access_scope_discrepancy", condition=Q(has_discrepancy=True)),
            models.Index(fields=["kind", "ref", "-created_at", "-manifest"], name="access_scope_rejection", condition=Q(has_rejection=True)),
            models.Index(fields=["kind", "ref", "-created_at", "-manifest"], name="access_scope_overdue", condition=Q(overdue=True)),
        ]

    def __str__(self):
        return f"{self.manifest_id} {self.kind}:{self.ref}"


class AccessCount(models.Model):
    """Manifests per scope and status (and the flags "discrepancy", "rejection", "overdue"), kept by
    manifests.access in the transaction of each change: home pages read a handful of rows."""

    kind = models.PositiveSmallIntegerField(choices=ManifestAccess.Kind.choices)
    ref = models.BigIntegerField()
    key = models.CharField(max_length=20)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "ref", "key"], name="accesscount_one_per_scope_key"),
            models.CheckConstraint(condition=Q(count__gte=0), name="accesscount_not_negative"),
        ]

    def __str__(self):
        return f"{self.kind}:{self.ref} {self.key}={self.count}"


__all__ = [
    "AccessCount",
    "IdempotencyRecord",
    "ManifestAccess",
    "Manifest",
    "ManifestCounter",
    "ManifestLine",
    "ManifestSnapshot",
    "Notification",
    "Packaging",
    "Revision",
    "RevisionDecision",
    "HandoverCode",
    "HandoverEntryLock",
    "CapacityUsage",
    "FollowUp",
    "Status",
]
