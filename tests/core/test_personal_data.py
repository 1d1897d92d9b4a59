"""core.personal_data: masks, and an audit entry for each unmasked view by someone else."""

from sqlalchemy import select

from core.audit import AuditEntry
from core.db import db
from core.permissions import Role
from core.personal_data import VIEWED, mask_address, mask_name, mask_phone, record_view
from tests.conftest import make_user


def test_masks():
    assert mask_name("张三丰") == "张**" and mask_name("张") == "张*" and mask_name(None) == ""
    assert mask_address("渝中区解放碑街道民族路 88 号") == "渝中区解放碑****" and mask_address("") == ""
    assert mask_phone("13800138000") == "138****8000"


def test_record_view_audits_others_only():
    subject, official = make_user(Role.resident), make_user(Role.district_official, districts=("500103",))
    assert record_view(subject, subject.id, subject, ["address"]) is False
    assert record_view(official, subject.id, subject, ["address", "full_name", "address"]) is True
    db.session.commit()
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == VIEWED)).all()
    assert entry.actor_id == official.id and entry.after == {"subject_user_id": subject.id,
                                                             "fields": ["address", "full_name"]}
