"""Supplier signals: higher layers (market's search index) connect to them to react to company changes."""

from blinker import Namespace

signals = Namespace()

#: A company's status changed (suspended, blacklisted, reinstated), sent after the change is flushed:
#: supplier_status_changed.send(supplier, before=SupplierStatus, after=SupplierStatus).
supplier_status_changed = signals.signal("supplier-status-changed")
