"""Demo data of the registry (idempotent, runs after the catalog demo): district base data, solicitations,
scored applications and published lists (SPEC 7: at least 5 districts, 渝中区 among them)."""

from __future__ import annotations

from datetime import date, timedelta

import click
from sqlalchemy import select

from catalog.models import Product, ProductStatus
from core.accounts.models import User
from core.clock import today_shanghai
from core.db import db
from core.demo import ensure_user
from core.permissions import Role
from registry.districts import services as district_services
from registry.districts.models import HouseholdCategory, SubsidyKind, TownshipKind
from registry.lists import queries
from registry.lists import services as list_services
from registry.lists.models import Solicitation
from registry.solicitations import services as solicitation_services
from suppliers.queries import supplier_of

TOWNSHIPS = {
    "500103": ("解放碑街道", "七星岗街道", "大溪沟街道", "上清寺街道", "化龙桥街道", "朝天门街道"),
    "500105": ("观音桥街道", "华新街街道", "五里店街道", "石马河街道", "大石坝街道", "寸滩街道"),
    "500106": ("小龙坎街道", "沙坪坝街道", "磁器口街道", "天星桥街道", "渝碚路街道", "井口镇"),
    "500107": ("杨家坪街道", "谢家湾街道", "黄桷坪街道", "石坪桥街道", "石桥铺街道", "华岩镇"),
    "500108": ("南坪街道", "铜元局街道", "花园路街道", "弹子石街道", "南山街道", "涂山镇"),
    "500112": ("龙溪街道", "双龙湖街道", "回兴街道", "仙桃街道", "两路街道", "木耳镇"),
}
COMMUNITIES = {
    "500103": (("石油路老旧小区", 0, "渝中区石油路 12 号"), ("较场口片区小区", 0, "渝中区较场口日月光旁"),
               ("枇杷山正街小区", 1, "渝中区枇杷山正街 71 号"), ("人和街小区", 3, "渝中区人和街 45 号")),
    "500105": (("建新东路小区", 0, "江北区建新东路 3 号"), ("华新村小区", 1, "江北区华新街 102 号"),
               ("五里店老街小区", 2, "江北区五里店 18 号")),
    "500106": (("小龙坎正街小区", 0, "沙坪坝区小龙坎正街 210 号"), ("磁器口后街小区", 2, "沙坪坝区磁器口后街 5 号")),
    "500107": (("杨家坪西郊路小区", 0, "九龙坡区西郊路 33 号"), ("黄桷坪正街小区", 2, "九龙坡区黄桷坪正街 66 号")),
    "500108": (("南坪东路小区", 0, "南岸区南坪东路 9 号"), ("铜元局老厂区小区", 1, "南岸区铜元局 1 号")),
    "500112": (("龙溪老街小区", 0, "渝北区龙溪街道新南路 8 号"), ("两路老城小区", 4, "渝北区两路双凤路 20 号")),
}
#: District → demo supplier numbers (supplier{n}@demo.local) on its list; 500112 publishes under an exception.
LISTS = {"500103": (1, 2, 3), "500105": (2, 4, 9, 11), "500106": (3, 7, 10), "500107": (4, 5, 12),
         "500108": (5, 11, 12), "500112": (6, 7)}
#: 500103 publishes a second version that adds this supplier.
SECOND_VERSION = ("500103", 8)
#: A rejected application per district (supplier number), to show the outcome and its reason.
REJECTED = {"500103": 10, "500105": 12}
#: An open call with a pending application, per district.
PENDING = {"500106": 12, "500108": 9}
EXCEPTION_REASON = ("本轮公开征集仅 2 家单位在渝北区具备安装能力并通过比选；为不耽误老旧小区改造进度，"
                    "先行公布 2 家，同时启动补充征集。")
WEIGHTS = {"qualification": 30, "quality": 30, "after_sales": 20, "price": 20}
SUBSIDIES = (
    (HouseholdCategory.old_community, SubsidyKind.fixed, 10000, None, None),
    (HouseholdCategory.registered_poor, SubsidyKind.percentage, None, 100, 30000),
    (HouseholdCategory.low_income, SubsidyKind.percentage, None, 50, 15000),
)


def _supplier(n: int):
    staff = db.session.scalar(select(User).where(User.email == f"supplier{n}@demo.local"))
    supplier = supplier_of(staff) if staff is not None else None
    return (supplier, staff) if supplier is not None else (None, None)


def _official(code: str) -> User:
    district = queries.district_by_code(code)
    return ensure_user(f"official.{code}@demo.local", f"{district.name}经济信息委 工作人员",
                       [(Role.district_official, code)])


def _base_data(district, official) -> None:
    townships = [district_services.save_township(district, actor=official, name=name,
                                                 kind=TownshipKind.town if name.endswith("镇") else TownshipKind.street)
                 for name in TOWNSHIPS[district.code]]
    for name, township_index, address in COMMUNITIES[district.code]:
        district_services.save_community(district, actor=official, name=name, address=address,
                                         township=townships[township_index])
    for i, township in enumerate(townships):
        for j, category in enumerate((HouseholdCategory.old_community, HouseholdCategory.registered_poor,
                                      HouseholdCategory.low_income)):
            district_services.set_target(district, actor=official, township=township, category=category,
                                         device_type="self_closing_valve", count=(1200, 60, 150)[j] + 37 * i)
        district_services.set_target(district, actor=official, township=township, category=HouseholdCategory.other,
                                     device_type="leak_alarm", count=300 + 20 * i)
    for category, kind, amount, percent, cap in SUBSIDIES:
        district_services.add_subsidy_policy(district, actor=official, category=category,
                                             device_type="self_closing_valve", kind=kind, amount_fen=amount,
                                             percent=percent, cap_fen=cap, valid_from=date(2026, 1, 1),
                                             valid_until=date(2027, 12, 31))


def _call(district, official, title: str) -> Solicitation:
    return solicitation_services.open_solicitation(
        district, actor=official, title=title, device_types=["self_closing_valve", "leak_alarm"],
        requirements=("1. 具有合法经营资格和燃气燃烧器具安装维修或消防设施工程资质；\n"
                      "2. 每家至少提供低、中、高档产品各一款，产品须符合附件3功能要求并持有效证书；\n"
                      "3. 公开销售价格、安装费和服务内容，不得指定消费；\n"
                      "4. 提供不少于 1 年的免费质保和 7×24 小时售后服务。"),
        deadline=today_shanghai() + timedelta(days=45), weights=WEIGHTS)


def _apply(call, n: int, *, accept: bool | None, official, scores=(90, 85, 80, 75)):
    supplier, staff = _supplier(n)
    if supplier is None:
        return None
    products = db.session.scalars(select(Product).where(Product.supplier_id == supplier.id,
                                                        Product.status == ProductStatus.valid)).all()
    if not products:
        return None
    application = solicitation_services.apply(call, supplier, actor=staff,
                                              items=[(p.id, p.price_fen, p.install_fee_fen) for p in products],
                                              note="我单位承诺按公布价格销售安装，不另收费。")
    if accept is not None:
        decision, reason = (("accept", "资质齐全、产品覆盖低中高三档、售后承诺完备，价格合理。") if accept
                            else ("reject", "售后服务网点未覆盖本区县，响应时限不满足征集要求。"))
        solicitation_services.review_application(
            application, actor=official, scores=dict(zip(WEIGHTS, scores if accept else (70, 65, 40, 60),
                                                          strict=True)),
            comment="经集中比选评审。", decision=decision, reason=reason)
    return application


def _publish(district, official, exception_reason=None) -> bool:
    try:
        list_services.publish_list(district, actor=official, exception_reason=exception_reason)
    except list_services.PublicationRefused as exc:
        click.echo(f"registry demo: {district.code} not published: " + "; ".join(p.rule for p in exc.problems))
        return False
    return True


def _district(code: str) -> None:
    district = queries.district_by_code(code)
    official = _official(code)
    if db.session.scalar(select(Solicitation.id).where(Solicitation.district_id == district.id).limit(1)):
        return  # already seeded
    _base_data(district, official)
    call = _call(district, official, f"{district.name}2026年燃气安全装置销售安装单位公开征集")
    for k, n in enumerate(LISTS[code]):
        _apply(call, n, accept=True, official=official, scores=(92 - 3 * k, 88 - k, 85 - 2 * k, 80 + k))
    if code in REJECTED:
        _apply(call, REJECTED[code], accept=False, official=official)
    solicitation_services.close_solicitation(call, actor=official)
    db.session.flush()
    if not _publish(district, official, EXCEPTION_REASON if len(LISTS[code]) < 3 else None):
        return
    if code == SECOND_VERSION[0]:
        rolling = _call(district, official, f"{district.name}燃气安全装置销售安装单位补充征集（滚动）")
        if _apply(rolling, SECOND_VERSION[1], accept=True, official=official):
            _publish(district, official)
    if code in PENDING:
        rolling = _call(district, official, f"{district.name}燃气安全装置销售安装单位补充征集（滚动）")
        _apply(rolling, PENDING[code], accept=None, official=official)


def seed() -> None:
    """Base data, solicitations and published lists in six districts (skips with a message when the catalog
    demo has not created the suppliers' products)."""
    if _supplier(1)[0] is None:
        click.echo("registry demo: catalog demo suppliers not found; district lists not published")
        return
    for code in LISTS:
        _district(code)
        db.session.flush()
