"""Cases in the state a test needs, filed and moved through the services (as the pages would)."""

from __future__ import annotations

import io

from werkzeug.datastructures import FileStorage

from complaints import filing, workflow
from complaints.models import Case, CaseCategory
from core.db import db
from core.permissions import Role
from tests.conftest import make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64
DESCRIPTION = "安装师傅上门后要求加价 300 元才肯安装，说是清单价不含材料。"


def png(name: str = "receipt.png") -> FileStorage:
    return FileStorage(io.BytesIO(PNG), filename=name, content_type="image/png")


def regulator(**fields):
    return make_user(Role.regulator, **fields)


def complaint(world, *, category=CaseCategory.forced_purchase, order=None, files=()) -> Case:
    case = filing.file_complaint(world.resident, supplier=world.supplier, category=category,
                                 description=DESCRIPTION, resolution_wanted="退还多收的钱", order=order, files=files)
    db.session.commit()
    return case


def report(supplier=None, *, name=None, phone=None, supplier_name=None, category=CaseCategory.counterfeit):
    case, code = filing.file_report(category=category, description="该单位销售的报警器没有认证标志，疑似假冒。",
                                    supplier=supplier, supplier_name=supplier_name, name=name, phone=phone)
    db.session.commit()
    return case, code


def accepted(case: Case, officer) -> Case:
    workflow.accept(case, actor=officer)
    db.session.commit()
    return case


def investigating(case: Case, officer, question: str = "请说明是否向用户收取了清单以外的费用。") -> Case:
    if case.state == "submitted":
        accepted(case, officer)
    workflow.invite_supplier(case, actor=officer, question=question)
    db.session.commit()
    return case


def reload(case: Case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)
