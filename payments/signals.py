"""Signals of the payments package, connected from above (orders)."""

from blinker import Namespace

payment_signals = Namespace()

#: Sent once per verified provider event, sender = the event type (e.g. "checkout.session.completed"),
#: with event=<the event dict>. Receivers change state and flush; the webhook route commits once.
payment_event_received = payment_signals.signal("payment-event-received")
