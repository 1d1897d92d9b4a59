"""One route helper: validate a form, call the service, commit, flash, redirect.

It never checks permissions: every view checks them at its top (require_role, then the object's can_*
method and abort(403)) before it calls `submit`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect

from core.db import db
from core.errors import DomainError
from core.forms import attach_domain_error


def submit(form, action: Callable[[], Any], success: str | Callable[[Any], str],
           redirect_to: str | Callable[[Any], str], *, on_error: Callable[[DomainError], None] | None = None):
    """Run `action` for a submitted, valid `form`; the redirect response on success, None to re-render.

    On success the session is committed, `success` flashed and `redirect_to` returned as a redirect (either may
    be a function of what `action` returned). A DomainError rolls the session back, so nothing is kept; its
    message goes next to the form field it names, or is flashed; `on_error` may look at the error as well.
    """
    if not form.validate_on_submit():
        return None
    try:
        result = action()
    except DomainError as exc:
        db.session.rollback()
        if not attach_domain_error(form, exc):
            flash(exc.message, "danger")
        if on_error is not None:
            on_error(exc)
        return None
    db.session.commit()
    flash(success(result) if callable(success) else success, "success")
    return redirect(redirect_to(result) if callable(redirect_to) else redirect_to)
