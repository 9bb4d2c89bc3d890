"""The signature blocks of a manifest: who signed each step, in which position and organisation, when, how, and the
hash of the content the signature covered. Read from the audit chain, the record of every signature, so that the
detail page, the PDF copy and the certificate show the same thing."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import AuditEvent
from common.prepared import Prepared

# Audit action → the step it signs, in chain order.
STEPS = {
    "signed": pgettext_lazy("signature step", "Handed over by the generator"),
    "picked_up": pgettext_lazy("signature step", "Collected by the transporter"),
    "delivered": pgettext_lazy("signature step", "Delivered by the transporter"),
    "received": pgettext_lazy("signature step", "Waste received by the facility"),
    "rejected": pgettext_lazy("signature step", "Refused by the facility"),
    "completed": pgettext_lazy("signature step", "Treatment completed"),
}
METHODS = {
    "password": _("password re-entered on the portal"),
    "handover_code": _("personal handover confirmation code, typed on the driver's phone"),
    "session": _("confirmed in the portal with the signed-in account"),
}


# A manifest's chain of events with their actors and organisations, in order (compiled once: common.prepared).
chain_events = Prepared(lambda chain: AuditEvent.objects.filter(chain=chain).select_related("actor", "organisation").order_by("seq"))


@dataclass(frozen=True)
class SignatureBlock:
    step: str
    action: str
    name: str
    position: str
    organisation: str
    at: datetime
    method: str
    content_hash: str


def signature_blocks(manifest, events=None):
    """One block per signing event of the manifest's chain, in order (the latest version's signatures included)."""
    if events is None:
        events = chain_events(manifest.chain)  # a manifest's chain holds a few events: the steps are picked below
    blocks = []
    for event in events:
        if event.action not in STEPS:
            continue
        data = event.data or {}
        blocks.append(
            SignatureBlock(
                step=str(STEPS[event.action]),
                action=event.action,
                name=event.actor.display_name if event.actor_id else "",
                position=data.get("position", ""),
                organisation=event.organisation.name if event.organisation_id else "",
                at=event.created_at,
                method=str(METHODS.get(data.get("method"), data.get("method", ""))),
                content_hash=data.get("content_hash", ""),
            )
        )
    return blocks
