"""The gas utility's platform keys, for the inspectors of its districts: /utility/keys.

A utility key reads the devices and alarms of the districts it names (GET /api/v1/utility/*). An inspector
creates keys for some or all of the districts they cover, sees the utility keys of those districts, and revokes
only keys that cover no district beyond their own (any other key: 404, as if it did not exist).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from core import nav
from core.db import db
from core.districts import District
from core.errors import DomainError
from core.forms import attach_domain_error, choices
from core.i18n import _l
from core.permissions import Role, require_role
from suppliers import keys
from suppliers.forms import UtilityKeyForm
from suppliers.key_pages import revoke_key_and_return

bp = Blueprint("device_keys", __name__)
nav.add("device_keys.utility_keys", _l("平台密钥"), roles=(Role.inspector,), order=39)


def can_revoke(user, key: keys.PlatformKey) -> bool:
    """An inspector revokes a utility key whose districts are all among their own."""
    own = user.district_ids(Role.inspector)
    return key.kind == "utility" and bool(key.district_ids) and key.district_ids <= own


def _own_districts() -> list[District]:
    ids = current_user.district_ids(Role.inspector)
    if not ids:
        abort(403)
    return list(db.session.scalars(select(District).where(District.id.in_(ids)).order_by(District.code)))


def _render(form: UtilityKeyForm, districts: list[District], *, new_key=None, token: str | None = None):
    response = make_response(render_template(
        "devices/utility_keys.html", form=form, districts=districts, new_key=new_key, token=token,
        keys=keys.utility_keys({d.id for d in districts}), can_revoke=lambda k: can_revoke(current_user, k)))
    if request.method == "POST":
        response.headers["Cache-Control"] = "no-store"
    return response


def _form(districts: list[District], **kwargs) -> UtilityKeyForm:
    form = UtilityKeyForm(**kwargs)
    locale = str(get_locale())
    form.districts.choices = choices([(d.id, d.display_name(locale)) for d in districts])
    if request.method == "GET" or kwargs.get("formdata", True) is None:
        form.districts.data = [d.id for d in districts]  # all of the inspector's districts by default
    return form


@bp.route("/utility/keys", methods=["GET", "POST"])
@require_role(Role.inspector)
def utility_keys():
    districts = _own_districts()
    form = _form(districts)
    if not form.validate_on_submit():
        return _render(form, districts)
    chosen = [d for d in districts if d.id in set(form.districts.data)]
    try:
        key, token = keys.create_key(current_user, name=form.name.data, districts=chosen)
    except DomainError as exc:
        if not attach_domain_error(form, exc):
            flash(exc.message, "danger")
        return _render(form, districts)
    db.session.commit()
    # rendered, not redirected: the key must never pass through the session, a flash message or a log
    return _render(_form(districts, formdata=None), districts, new_key=key, token=token)


@bp.route("/utility/keys/<int:key_id>/revoke", methods=["POST"])
@require_role(Role.inspector)
def revoke_utility_key(key_id: int):
    _own_districts()
    key = db.session.get(keys.PlatformKey, key_id)
    if key is None or not can_revoke(current_user, key):
        abort(404)
    return revoke_key_and_return(key, "device_keys.utility_keys")
