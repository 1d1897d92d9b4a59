"""What the supplier's and the gas utility's key pages share (suppliers/routes.py, devices/key_routes.py)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user

from core.accounts.forms import EmptyForm
from core.db import db
from core.i18n import _
from suppliers import keys


def revoke_key_and_return(key: keys.PlatformKey, endpoint: str):
    """The revoke button's answer (the caller has checked that the user may revoke `key`): revoke, say so, go back."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    if keys.revoke_key(key, current_user):
        db.session.commit()
        flash(_("密钥 %(label)s 已吊销，使用它的请求将立即被拒绝。", label=key.label), "success")
    else:
        flash(_("密钥 %(label)s 早已吊销。", label=key.label), "info")
    return redirect(url_for(endpoint))
