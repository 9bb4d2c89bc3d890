"""Writes on accounts: each runs in a transaction, locks the organisation, and records an audit event."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import audit, policy, tasks
from .models import Membership, Organisation, User


def _lock_organisation(organisation):
    # FOR NO KEY UPDATE: serialises writers of the organisation without blocking the foreign-key checks that
    # other transactions run on it at commit (an audit event naming it), which would deadlock with the
    # audit chain's head lock.
    return Organisation.objects.select_for_update(no_key=True).get(pk=organisation.pk)


def _chain(organisation):
    return f"organisation:{organisation.pk}"


def _record(organisation, action, actor, data, context):
    audit.record(
        _chain(organisation),
        action,
        actor=actor,
        organisation=organisation,
        role=policy.role_in(actor, organisation) or ("administrator" if actor.is_staff else ""),
        data=data,
        context=context,
    )


@transaction.atomic
def create_member(*, organisation, actor, username, full_name, password, role, email="", phone="", sites=(), context=audit.NO_CONTEXT):
    organisation = _lock_organisation(organisation)
    user = User(username=username, full_name=full_name, email=email, phone=phone)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    membership = Membership.objects.create(user=user, organisation=organisation, role=role)
    membership.sites.set(sites)
    # E-mail only once the account really exists; a rolled-back transaction sends nothing.
    transaction.on_commit(lambda: tasks.send_membership_welcome.delay(membership.pk))
    _record(
        organisation,
        "member.created",
        actor,
        {"user": user.username, "role": role, "sites": sorted(s.pk for s in sites)},
        context,
    )
    return membership


def _remaining_admins(organisation, excluding):
    return Membership.objects.filter(organisation=organisation, role=Membership.Role.ADMIN).exclude(pk=excluding.pk).count()


@transaction.atomic
def update_membership(*, membership, actor, role, sites, context=audit.NO_CONTEXT):
    organisation = _lock_organisation(membership.organisation)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Membership.Role.ADMIN and role != Membership.Role.ADMIN:
        if not _remaining_admins(organisation, membership):
            raise ValidationError({"role": _("The organisation must keep at least one administrator.")})
    before = {"role": membership.role, "sites": sorted(membership.sites.values_list("pk", flat=True))}
    membership.role = role
    membership.save(update_fields=["role"])
    membership.sites.set(sites)
    after = {"role": role, "sites": sorted(s.pk for s in sites)}
    _record(organisation, "member.updated", actor, {"user": membership.user.username, "before": before, "after": after}, context)
    policy.forget_scope(actor)
    return membership


@transaction.atomic
def remove_membership(*, membership, actor, context=audit.NO_CONTEXT):
    organisation = _lock_organisation(membership.organisation)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Membership.Role.ADMIN and not _remaining_admins(organisation, membership):
        raise ValidationError(_("The organisation's last administrator cannot be removed."))
    username = membership.user.username
    membership.delete()
    _record(organisation, "member.removed", actor, {"user": username}, context)
    policy.forget_scope(actor)


@transaction.atomic
def save_site(*, form, organisation, actor, context=audit.NO_CONTEXT):
    """Save a validated SiteForm for `organisation` and record what changed."""
    organisation = _lock_organisation(organisation)
    site = form.save(commit=False)
    created = site.pk is None
    site.organisation = organisation
    site.full_clean()
    site.save()
    changed = {name: str(form.cleaned_data.get(name)) for name in form.changed_data}
    _record(organisation, "site.created" if created else "site.updated", actor, {"site": site.pk, "changed": changed}, context)
    return site
