"""Registry signals, sent after the change is flushed (receivers act after commit, e.g. the search index)."""

from blinker import Namespace

signals = Namespace()

#: A district published a new list version: list_published.send(district, version=..., product_ids=[...]).
list_published = signals.signal("list-published")
#: Products joined or left a current list: listing_changed.send(None, product_ids=[...]).
listing_changed = signals.signal("listing-changed")
