"""Demo supplier companies and their staff accounts (idempotent, keyed on credit codes and emails).

Runs before catalog.demo (which adds their products) and registry.demo (which publishes lists).
"""

from __future__ import annotations

from sqlalchemy import select

from core.db import db
from core.demo import ensure_user
from core.districts import District
from core.permissions import Role
from suppliers import credit_code, services
from suppliers.models import StaffRole, Supplier, SupplierStatus

CORE_DISTRICTS = ("500103", "500105", "500106", "500107", "500108", "500112")

#: (name, address, qualification name, level, contact, phone, districts served)
COMPANIES = (
    ("重庆渝安燃气设备安装有限公司", "重庆市渝中区民族路 168 号 12 楼", "燃气燃烧器具安装维修资质", "二级", "刘建国",
     "023-6371 2201", ("500103", "500105", "500106", "500108", "500112")),
    ("重庆巴渝卫士消防工程有限公司", "重庆市江北区建新北路 36 号", "消防设施工程专业承包", "二级", "陈晓梅",
     "023-6785 3302", ("500103", "500105", "500107", "500112", "500104")),
    ("重庆嘉陵智安科技有限公司", "重庆市沙坪坝区三峡广场天陈路 8 号", "燃气燃烧器具安装维修资质", "一级", "王志强",
     "023-6530 4403", ("500106", "500103", "500107", "500108", "500109")),
    ("重庆长江盾安全技术服务有限公司", "重庆市九龙坡区杨家坪正街 22 号", "消防设施工程专业承包", "一级", "张丽",
     "023-6823 5504", ("500107", "500103", "500105", "500106", "500112")),
    ("重庆山城安燃气服务有限公司", "重庆市南岸区南坪西路 15 号", "燃气燃烧器具安装维修资质", "二级", "李军",
     "023-6280 6605", ("500108", "500103", "500105", "500106", "500107")),
    ("重庆缙云智慧燃气工程有限公司", "重庆市渝北区龙溪街道金紫山路 99 号", "燃气燃烧器具安装维修资质", "二级", "赵敏",
     "023-6760 7706", ("500112", "500103", "500105", "500108", "LJXQ")),
    ("重庆两江安居燃气设备有限公司", "重庆市渝北区金开大道 1233 号", "消防设施工程专业承包", "二级", "周海",
     "023-6701 8807", ("500112", "500105", "500106", "500107", "LJXQ")),
    ("重庆朝天门安防工程有限公司", "重庆市渝中区朝东路 2 号", "消防设施工程专业承包", "二级", "吴芳",
     "023-6310 9908", ("500103", "500106", "500108", "500112")),
    ("重庆观音桥燃气安全服务有限公司", "重庆市江北区观音桥步行街 6 号", "燃气燃烧器具安装维修资质", "三级", "郑伟",
     "023-6790 1109", ("500105", "500103", "500107", "500108")),
    ("重庆磁器口智能科技有限公司", "重庆市沙坪坝区磁器口正街 88 号", "燃气燃烧器具安装维修资质", "二级", "孙强",
     "023-6531 2210", ("500106", "500107", "500112", "500103")),
    ("重庆南山燃气器具安装有限公司", "重庆市南岸区南山街道 51 号", "燃气燃烧器具安装维修资质", "二级", "钱红",
     "023-6246 3311", ("500108", "500105", "500106", "500103", "500112")),
    ("重庆九龙燃安工程技术有限公司", "重庆市九龙坡区谢家湾正街 9 号", "消防设施工程专业承包", "一级", "何平",
     "023-6878 4412", ("500107", "500108", "500112", "500105", "500106")),
)
SERVICE_CONTENT = ("免费上门勘查、安装和调试；报警器与自闭阀联动测试；安装后讲解使用方法；质保期内免费维修更换；"
                   "每年一次免费上门检查；7×24 小时服务电话，主城区 4 小时内到场。")


def demo_credit_code(n: int, district_code: str) -> str:
    """A code that passes the GB 32100 check digit, e.g. 91500103MA601000x + check."""
    first17 = f"91{district_code}MA601{n:04d}"
    return first17 + credit_code.check_digit(first17)


def seed() -> None:
    """The 12 verified demo companies, each with one staff account supplier{n}@demo.local."""
    districts = {d.code: d for d in db.session.scalars(select(District))}
    for n, (name, address, qual, level, contact, phone, served) in enumerate(COMPANIES, start=1):
        code = demo_credit_code(n, served[0] if served[0].isdigit() else "500112")
        supplier = db.session.scalar(select(Supplier).where(Supplier.credit_code == code))
        if supplier is None:
            supplier = Supplier(legal_name=name, credit_code=code, qualification_name=qual, qualification_level=level,
                                contact_person=contact, phone=phone, address=address, service_content=SERVICE_CONTENT,
                                status=SupplierStatus.verified)
            supplier.districts = [districts[c] for c in served if c in districts]
            db.session.add(supplier)
            db.session.flush()
        staff = ensure_user(f"supplier{n}@demo.local", f"{name[2:6]} {contact}", [(Role.supplier, None)])
        if not supplier.has_staff(staff):
            services.add_membership(supplier, staff, role=StaffRole.owner)
    db.session.flush()
