"""The manifest status machine: every write on a manifest goes through one function of this package.

Each transition: checks the actor through the access policy, the current status and its preconditions,
runs in a transaction with the manifest row locked, writes the hash-chained audit event, and enqueues
notifications after commit. Concurrent transitions serialise on the row lock: the second one sees the
new status and gets a clear message. A POST carrying an idempotency key is claimed first, so a replay
(or a concurrent duplicate) returns the first result and writes nothing twice.

The modules, each importing only the lower ones: `_shared` (the lines' input LineInput and the helpers every
transition uses: the idempotency claim, the row lock and the lines, the audit event, the signature, the snapshot,
the permit checks, the official number); `drafts` (the parties' checks, the lines, create/update/append, seal,
sign, cancel, refuse); `handover` (personal handover codes); `transport` (the vehicle's check, pickup, deliver);
`facility` (receive, treat, the permit's capacity); `follow_ups` (rejected loads); `revisions`; `overdue`. This
module only names the public API: callers import it from `manifests.services`.
"""

from ..errors import AlreadyDone, TransitionError
from ._shared import LineInput
from .drafts import append_lines, cancel, create_draft, draft_version, refuse, seal, sign, update_draft
from .facility import capacity_left, is_discrepancy, receive, treat
from .follow_ups import create_follow_up
from .handover import handover_signers, set_handover_code
from .overdue import OPEN_AFTER_PICKUP, flag_overdue
from .revisions import decide_revision, request_revision
from .transport import deliver, is_pickup_discrepancy, pickup

__all__ = [
    "OPEN_AFTER_PICKUP",
    "AlreadyDone",
    "LineInput",
    "TransitionError",
    "append_lines",
    "cancel",
    "capacity_left",
    "create_draft",
    "create_follow_up",
    "decide_revision",
    "deliver",
    "draft_version",
    "flag_overdue",
    "handover_signers",
    "is_discrepancy",
    "is_pickup_discrepancy",
    "pickup",
    "receive",
    "refuse",
    "request_revision",
    "seal",
    "set_handover_code",
    "sign",
    "treat",
    "update_draft",
]
