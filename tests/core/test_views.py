"""core.views.submit: validate, call the service, commit, flash, redirect (and nothing kept on a DomainError)."""

from flask import get_flashed_messages
from wtforms import StringField
from wtforms.validators import DataRequired

from core.accounts.models import User
from core.db import db
from core.errors import DomainError
from core.forms import BaseForm
from core.views import submit
from tests.conftest import make_user


class NameForm(BaseForm):
    display_name = StringField("名称", validators=[DataRequired()])


def _stored_name(user_id: int) -> str:
    db.session.expire_all()
    return db.session.get(User, user_id).display_name


def _rename(user: User, name: str, error: DomainError | None = None):
    def action():
        user.display_name = name
        db.session.flush()
        if error is not None:
            raise error
        return user
    return action


def test_success_commits_flashes_and_redirects(app):
    user = make_user()
    with app.test_request_context("/x", method="POST", data={"display_name": "新名称"}):
        form = NameForm()
        response = submit(form, _rename(user, "新名称"), lambda u: f"saved {u.id}", lambda u: f"/users/{u.id}")
        assert response.status_code == 302 and response.headers["Location"] == f"/users/{user.id}"
        assert get_flashed_messages(with_categories=True) == [("success", f"saved {user.id}")]
        db.session.rollback()  # a commit happened: a rollback now keeps the change
        assert _stored_name(user.id) == "新名称"


def test_domain_error_on_a_field_goes_next_to_it_and_keeps_nothing(app):
    user = make_user()
    before = user.display_name
    calls = []
    with app.test_request_context("/x", method="POST", data={"display_name": "重名"}):
        form = NameForm()
        error = DomainError("该名称已被使用。", field="display_name")
        response = submit(form, _rename(user, "重名", error), "saved", "/done", on_error=calls.append)
        assert response is None
        assert form.display_name.errors == ["该名称已被使用。"]
        assert get_flashed_messages() == []
        assert calls == [error]
        assert _stored_name(user.id) == before


def test_domain_error_without_a_field_is_flashed(app):
    user = make_user()
    before = user.display_name
    with app.test_request_context("/x", method="POST", data={"display_name": "任意"}):
        form = NameForm()
        assert submit(form, _rename(user, "任意", DomainError("不允许。")), "saved", "/done") is None
        assert get_flashed_messages(with_categories=True) == [("danger", "不允许。")]
        assert _stored_name(user.id) == before


def test_invalid_form_never_calls_the_action(app):
    called = []
    with app.test_request_context("/x", method="POST", data={"display_name": ""}):
        form = NameForm()
        assert submit(form, lambda: called.append(1), "saved", "/done") is None
        assert called == [] and form.display_name.errors
    with app.test_request_context("/x", method="GET"):
        assert submit(NameForm(), lambda: called.append(1), "saved", "/done") is None
        assert called == []
