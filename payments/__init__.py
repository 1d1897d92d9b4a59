"""Payments: the gateway to a Stripe-compatible provider, the webhook receiver and the stub provider."""
