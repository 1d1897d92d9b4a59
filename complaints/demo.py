"""Demo complaints and reports (SPEC 7): a case in every state, one overdue, a merged duplicate, a price-monitor
case, a typical case, and a substantiated report that delisted demo supplier 9 (重庆观音桥燃气安全服务有限公司)
from 江北区 — its announcement and new list version exist and its products are gone from search.

Everything goes through the same services as the pages; a second run adds nothing (the cases are looked up by
the description they were filed with)."""

from __future__ import annotations

from datetime import timedelta

import click
from sqlalchemy import select

from catalog.models import DeviceType, Product, Tier
from complaints import filing, sanctions, workflow
from complaints.models import Case, CaseCategory, Finding, SanctionKind
from complaints.price_monitor import run_monitor
from complaints.services import compute_due
from complaints.working_days import seed_calendar
from core.accounts.models import User
from core.clock import now_utc
from core.db import db
from registry.lists import queries as list_queries
from registry.lists.models import ListEntry, ListEntryProduct
from registry.lists.services import publish_list
from suppliers.models import Supplier
from suppliers.queries import supplier_of

FORCED = "安装师傅上门后说清单里的阀门“不耐用”，要求加 300 元换成他带来的另一款，不换就不装。"
AFTER_SALES = "报警器装好两周后一直误报，打了三次售后电话都说“过几天来”，到现在没人上门。"
INFLATED = "同一型号的自闭阀，安装单位收的材料费比清单上公布的安装费多出 80 元，没有给明细。"
REJECTED = "我想换一个颜色好看点的报警器，安装单位说清单里只有这几款。"
CLOSED = "预约的上门时间改了两次才来，不过最后装好了，想反映一下服务态度。"
COUNTERFEIT = ("这家单位的安装人员在江北区观音桥一带上门推销的燃气泄漏报警器没有 3C 标志，铭牌上的型号和清单公布的"
               "不一致，疑似以次充好、冒用认证。附购买收据和铭牌照片。")
UNLISTED = "小区门口有人摆摊卖“燃气安全阀”，自称是政府指定的，强行让老人买，一个要 480 元。"
UNLISTED_AGAIN = "和之前反映的一样，那个自称政府指定的摊位又来了，今天在 3 号楼下推销燃气安全阀。"
STREET_SELLER = "观音桥某燃气具经营部（流动摊位）"


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _supplier(n: int) -> Supplier | None:
    staff = _user(f"supplier{n}@demo.local")
    return supplier_of(staff) if staff is not None else None


def _existing(description: str) -> Case | None:
    return db.session.scalar(select(Case).where(Case.description == description))


def _received(case: Case, days_ago: int) -> None:
    case.received_at = now_utc() - timedelta(days=days_ago)
    compute_due(case)
    db.session.flush()


def _complaint(email: str, supplier: Supplier, category: CaseCategory, description: str, days_ago: int) -> Case:
    case = _existing(description)
    if case is None:
        case = filing.file_complaint(_user(email), supplier=supplier, category=category, description=description,
                                     resolution_wanted="请监管部门督促处理。")
        _received(case, days_ago)
    return case


def _raise_a_listed_price() -> None:
    """渝中区 republishes its list with supplier 2's mid-tier valve 45 % dearer (as the working list was changed),
    which the price monitor flags as a raise within 30 days of listing and as far above the district's median."""
    district = list_queries.district_by_code("500103")
    official = _user("official.500103@demo.local")
    supplier = _supplier(2)
    if district is None or official is None or supplier is None:
        return
    item = db.session.scalar(
        select(ListEntryProduct).join(ListEntry, ListEntry.id == ListEntryProduct.entry_id)
        .join(Product, Product.id == ListEntryProduct.product_id)
        .where(ListEntry.district_id == district.id, ListEntry.supplier_id == supplier.id,
               Product.device_type == DeviceType.self_closing_valve, Product.tier == Tier.mid))
    if item is None:
        return
    item.price_fen = item.price_fen * 145 // 100 // 100 * 100
    db.session.flush()
    publish_list(district, actor=official)


def seed() -> None:
    regulator = _user("regulator@demo.local")
    yuzhong, jiangbei, cloud = _supplier(1), _supplier(2), _supplier(9)
    if regulator is None or yuzhong is None or cloud is None:
        click.echo("complaints demo: demo accounts or suppliers not found; skipped")
        return
    seed_calendar()
    if _existing(COUNTERFEIT) is not None:
        return

    # submitted: a fresh complaint (due in 7 working days)
    _complaint("resident@demo.local", yuzhong, CaseCategory.forced_purchase, FORCED, 1)
    # accepted
    case = _complaint("resident2@demo.local", jiangbei, CaseCategory.no_after_sales, AFTER_SALES, 6)
    workflow.accept(case, actor=regulator, note="已联系被投诉单位，限期上门处理。")
    # investigating, the supplier invited and answering
    case = _complaint("resident.lowincome@demo.local", _supplier(3), CaseCategory.inflated_price, INFLATED, 4)
    workflow.accept(case, actor=regulator)
    workflow.invite_supplier(case, actor=regulator, question="请说明向用户收取清单安装费以外费用的依据，并附收费明细。")
    workflow.supplier_respond(case, actor=_user("supplier3@demo.local"),
                              text="经核实为安装人员误收，已安排退还 80 元，并对安装人员进行了培训。")
    # rejected, with its reason
    case = _complaint("resident.poor@demo.local", yuzhong, CaseCategory.other, REJECTED, 10)
    workflow.reject(case, actor=regulator, reason="清单产品由区县公开征集确定，产品外观不属于投诉受理范围。"
                                                 "如对清单有意见，可向渝中区经济信息委反映。")
    # closed, unsubstantiated
    case = _complaint("resident@demo.local", yuzhong, CaseCategory.no_after_sales, CLOSED, 20)
    workflow.accept(case, actor=regulator)
    workflow.close(case, actor=regulator, finding=Finding.unsubstantiated,
                   text="经调取预约记录，两次改约均由用户提出，未发现违规；已提醒单位改进沟通。")

    # an overdue anonymous report about a seller not on the platform, and its merged duplicate
    street, _code = filing.file_report(category=CaseCategory.forced_purchase, description=UNLISTED,
                                       supplier_name=STREET_SELLER, district_id=jiangbei.districts[0].id)
    _received(street, 30)
    again, _code = filing.file_report(category=CaseCategory.forced_purchase, description=UNLISTED_AGAIN,
                                      supplier_name=STREET_SELLER, district_id=jiangbei.districts[0].id)
    workflow.merge(again, street, actor=regulator, reason="同一摊位、同一事实，并案处理。")

    # the substantiated counterfeit report: delisted from 江北区, published as a typical case
    report, _code = filing.file_report(category=CaseCategory.counterfeit, description=COUNTERFEIT, supplier=cloud,
                                       name="匿名群众", phone="13700137000")
    _received(report, 12)
    workflow.accept(report, actor=regulator, note="线索具体，立案调查。")
    workflow.invite_supplier(report, actor=regulator, question="请提供在江北区销售的报警器的进货凭证和认证证书。")
    workflow.supplier_respond(report, actor=_user("supplier9@demo.local"),
                              text="部分货品系从非授权渠道进货，正在核查。")
    workflow.add_note(report, actor=regulator, text="现场抽查 6 台，4 台无 3C 标志，型号与清单不符。")
    workflow.close(report, actor=regulator, finding=Finding.substantiated,
                   text="经查，该单位销售无认证、与清单型号不符的报警器，举报属实。依据目录清单管理规定移出清单。")
    sanctions.impose(report, SanctionKind.delisting, actor=regulator,
                     note="销售无 3C 认证、与清单型号不符的燃气泄漏报警器，以次充好。")
    workflow.publish_typical(report, actor=regulator, title="销售无认证燃气报警器被移出清单",
                             summary="群众举报某安装单位上门销售的燃气泄漏报警器无 3C 标志、型号与清单不符。"
                                     "经现场抽查属实，该单位被移出江北区保障清单，相关未付款订单已取消，"
                                     "已付款未安装的用户可申请全额退款或改选其他单位。")
    # a supplier's price raised sharply soon after listing: the price monitor's own case(s)
    _raise_a_listed_price()
    opened = run_monitor()
    click.echo(f"complaints demo: cases in every state, 1 delisting, price-monitor cases: {len(opened)}")
    db.session.flush()
