"""Parallel publications of one district's list: serialised, one version per publication, losers told (no 500)."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from core.accounts.models import User
from core.db import db
from core.districts import District
from registry.lists import queries
from registry.lists import services as list_services
from registry.lists.lock import ListVersionConflict
from registry.lists.models import ListVersion
from tests.conftest import district, login
from tests.registry.factories import make_full_supplier, make_official
from tests.registry.helpers import admit, open_call

THREADS = 8


def _working_list(code="500103", suppliers=3):
    official = make_official(code)
    call = open_call(official, code)
    for _i in range(suppliers):
        supplier, products = make_full_supplier(districts=(code,))
        admit(call, official, supplier, products)
    return official


def _in_threads(app, work):
    """Run work(i) in THREADS threads started together, each in its own app context (its own session)."""
    barrier = threading.Barrier(THREADS)
    results: dict[int, object] = {}

    def run(i):
        with app.app_context():
            barrier.wait(timeout=10)
            try:
                results[i] = work(i)
            except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def _numbers(code="500103"):
    db.session.expire_all()
    return list(db.session.scalars(select(ListVersion.number).where(
        ListVersion.district_id == district(code).id).order_by(ListVersion.number)))


def test_parallel_publications_are_serialised_into_consecutive_versions(app):
    # two suppliers, each publication with its own written exception: every one differs from the one before
    official = _working_list(suppliers=2)
    official_id, district_id = official.id, district("500103").id

    def publish(i):
        version = list_services.publish_list(db.session.get(District, district_id),
                                             actor=db.session.get(User, official_id),
                                             exception_reason=f"本区县仅两家单位具备资质（第 {i} 次说明）")
        db.session.commit()
        return version.number

    results = _in_threads(app, publish)
    assert sorted(results.values()) == list(range(1, THREADS + 1)), results
    assert _numbers() == list(range(1, THREADS + 1))


def test_parallel_publish_posts_give_one_version_and_tell_the_others(app):
    login_id = _working_list().get_id()  # "<id>:<session token>", as Flask-Login keeps it
    digest = list_services.preview_publication(district("500103"), seen_number=0)["digest"]  # what was confirmed

    def post(_i):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = login_id
            session["_fresh"] = True
        response = client.post("/official/districts/500103/list", follow_redirects=True,
                               data={"seen_number": "0", "exception_reason": "", "confirm": digest})
        return response.status_code, response.get_data(as_text=True)

    results = _in_threads(app, post)
    assert all(isinstance(r, tuple) and r[0] == 200 for r in results.values()), results
    published = [r for r in results.values() if "目录清单第 1 版已公布" in r[1]]
    told = [r for r in results.values() if "另一位工作人员刚刚发布了目录清单第 1 版" in r[1]]
    assert len(published) == 1 and len(told) == THREADS - 1
    assert _numbers() == [1]


def test_publish_with_an_outdated_version_number_is_refused_and_changes_nothing(client):
    official = _working_list()
    list_services.publish_list(district("500103"), actor=official)
    db.session.commit()
    try:
        list_services.publish_list(district("500103"), actor=official, seen_number=0)
    except ListVersionConflict as exc:
        assert exc.number == 1 and exc.status_code == 409
    else:
        raise AssertionError("an outdated seen_number must be refused")
    db.session.rollback()
    assert db.session.scalar(select(func.count(ListVersion.id))) == 1
    assert queries.current_version(district("500103")).number == 1
    login(client, official)
    page = client.post("/official/districts/500103/list", data={"seen_number": "junk"}, follow_redirects=True)
    assert page.status_code == 200 and "另一位工作人员刚刚发布了目录清单第 1 版" in page.get_data(as_text=True)
    assert _numbers() == [1]
