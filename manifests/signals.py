"""Signals of the manifests app, for the apps above it (this app names none of them).

`manifest_changed` is sent inside the transaction of every change that manifests.access.sync records (every
transition of the status machine, revisions, the overdue flag), with `manifest`. A receiver that works from
the committed state registers `transaction.on_commit` itself (stats does: it recomputes its rollups).
"""

from django.dispatch import Signal

manifest_changed = Signal()
