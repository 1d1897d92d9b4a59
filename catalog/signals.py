"""Catalog signals: registry (a higher layer) connects to them to react to product changes."""

from blinker import Namespace

signals = Namespace()

#: A product stopped being valid: product_invalidated.send(product, reason=...).
product_invalidated = signals.signal("product-invalidated")
#: A product's public fields changed: product_changed.send(product, changes={field: (old, new)}).
product_changed = signals.signal("product-changed")
#: A supplier withdrew a product: product_withdrawn.send(product).
product_withdrawn = signals.signal("product-withdrawn")
