"""Personal handover codes: who may hand the waste over at the gate, setting one's own code, and checking and
counting the codes typed on the driver's phone (the pickup, manifests.services.transport)."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit, policy
from accounts.models import Membership

from ..errors import TransitionError
from ..models import HandoverCode, HandoverEntryLock
from ._shared import _reauthenticate


def handover_signers(manifest):
    """Generator members who may hand this manifest's waste over at the gate with their personal code."""
    memberships = (
        Membership.objects.filter(organisation_id=manifest.generator_id, role__in=policy.ACT_ROLES, user__is_active=True, handover_code__isnull=False)
        .select_related("user")
        .prefetch_related("sites")
        .order_by("user__full_name", "user__username")
    )
    return [m for m in memberships if not m.sites.all() or any(site.pk == manifest.generator_site_id for site in m.sites.all())]


@transaction.atomic
def set_handover_code(actor, organisation, password, context=audit.NO_CONTEXT):
    """The member's own new personal handover code for the organisation (re-entering the password); returns the
    plain code, shown once. The previous code stops working and any lock is lifted."""
    membership = Membership.objects.filter(user=actor, organisation=organisation, role__in=policy.ACT_ROLES).first()
    if membership is None or not organisation.is_generator:
        raise PermissionDenied(_("Only the generator's staff hand waste over and hold a handover code."))
    _reauthenticate(actor, password)
    code = f"{secrets.randbelow(10**6):06d}"
    HandoverCode.objects.update_or_create(
        membership=membership,
        defaults={"code_hash": make_password(code), "failed_attempts": 0, "locked_until": None, "rotated_at": timezone.now()},
    )
    audit.record(f"organisation:{organisation.pk}", "handover_code.set", actor=actor, organisation=organisation, role=membership.role, context=context)
    return code


class _WrongHandoverCode(Exception):
    def __init__(self, code_id):
        super().__init__(code_id)
        self.code_id = code_id


def _lock_time(until):
    return timezone.localtime(until).strftime("%H:%M %d/%m/%Y")


def _check_entry_lock(driver):
    """The driver's account may still type handover codes (HandoverEntryLock)."""
    lock = HandoverEntryLock.objects.filter(user=driver, locked_until__gt=timezone.now()).first()
    if lock is not None:
        raise TransitionError(
            _(
                "Too many wrong handover codes were typed from this account: code entry is locked until %(time)s. "
                "The generator's staff can sign the handover on the portal instead."
            )
            % {"time": _lock_time(lock.locked_until)},
            field="handover_code",
        )


def _check_handover_code(manifest, person, code):
    """On the locked manifest: the person chosen at the gate is one of the generator's signers and typed their own
    valid, unlocked code. Returns that person's membership. A wrong code raises _WrongHandoverCode: the caller
    counts it after the transition's rollback."""
    if person is None:
        raise TransitionError(
            _("The generator has not signed yet: choose the person handing the waste over."), field="handover_by"
        )
    if not (code or "").strip():
        raise TransitionError(_("The person handing the waste over must type their handover confirmation code."), field="handover_code")
    membership = next((m for m in handover_signers(manifest) if m.user_id == person.pk), None)
    if membership is None:
        raise TransitionError(_("This person may not hand over this manifest's waste."), field="handover_by")
    record = HandoverCode.objects.select_for_update().get(membership=membership)
    if record.locked_until and record.locked_until > timezone.now():
        raise TransitionError(
            _("Too many wrong codes: the handover confirmation code of %(person)s is locked until %(time)s.")
            % {"person": person.display_name, "time": _lock_time(record.locked_until)},
            field="handover_code",
        )
    if not check_password(code.strip(), record.code_hash):
        raise _WrongHandoverCode(record.pk)
    if record.failed_attempts:
        record.failed_attempts = 0
        record.save(update_fields=["failed_attempts"])
    return membership


def _count_failure(record, max_attempts, lock_minutes):
    record.failed_attempts += 1
    if record.failed_attempts >= max_attempts:
        record.locked_until = timezone.now() + timedelta(minutes=lock_minutes)
        record.failed_attempts = 0
    record.save(update_fields=["failed_attempts", "locked_until"])


@transaction.atomic
def _count_wrong_handover_code(code_id, driver):
    """Count a wrong code in its own transaction (the transition rolled back), twice: against the person's code
    (locked after HWMS_SIGNATURE_CODE_MAX_ATTEMPTS: one person's code, never the whole company's) and against the
    driver's account that typed it (locked after HWMS_HANDOVER_ENTRY_MAX_ATTEMPTS, fewer: one account alone
    cannot lock a person's code, it locks itself first)."""
    entry, _created = HandoverEntryLock.objects.select_for_update().get_or_create(user=driver)
    _count_failure(entry, settings.HWMS_HANDOVER_ENTRY_MAX_ATTEMPTS, settings.HWMS_HANDOVER_ENTRY_LOCK_MINUTES)
    record = HandoverCode.objects.select_for_update().get(pk=code_id)
    _count_failure(record, settings.HWMS_SIGNATURE_CODE_MAX_ATTEMPTS, settings.HWMS_SIGNATURE_CODE_LOCK_MINUTES)
