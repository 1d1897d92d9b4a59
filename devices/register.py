"""The district register: devices installed outside the platform, and the search of officials and utilities.

Free choice of seller is protected (附件1 四(三) 保障清单内、外企业合法市场主体地位): a device a household bought
elsewhere is registered by an inspector of the district, so that coverage counts it. It has no order and no
product of the catalogue; its brand/model and installer are recorded as the inspector found them.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from catalog.models import DeviceType
from core import audit
from core.clock import SHANGHAI, now_utc, today_shanghai
from core.db import db
from core.errors import DomainError, NotAllowed
from core.i18n import _
from devices import address_search, services
from devices.models import Carrier, DeviceState, GasType, InstalledDevice
from registry.districts.models import HouseholdCategory, Township

#: The earliest installation date accepted (no smart gas safety device of the register is older).
EARLIEST_INSTALL = date(2000, 1, 1)
ADDRESS_MAX = 300
NAME_MAX = 200


def _required(value: str | None, field: str, message: str, maximum: int = NAME_MAX) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field=field)
    if len(value) > maximum:
        raise DomainError(_("最多 %(max)d 个字。", max=maximum), field=field)
    return value


def _checked_identity(identifier: str, carrier: str, serial: str) -> services.DeviceInput:
    """The identifier, carrier and serial through devices.services.check_inputs, errors named after our fields."""
    try:
        [item] = services.check_inputs([services.DeviceInput(identifier or "", carrier or "", serial or "")])
    except DomainError as exc:
        field = (exc.field or "").rsplit("-", 1)[-1] or "identifier"
        raise DomainError(exc.message, field=field) from None
    return item


def _installed_at(installed_on: date) -> datetime:
    """Noon of the installation day in Chongqing (not later than now): the register keeps an instant."""
    return min(datetime.combine(installed_on, time(12, 0), tzinfo=SHANGHAI), now_utc())


def register_outside_device(actor, *, district_id: int, township_id: int | None, identifier: str, carrier: str,
                            serial: str, device_type: str, brand_model: str, installer_name: str | None,
                            gas_type: str, installed_on: date, address: str,
                            owner_id: int | None = None, household_category: str = "other") -> InstalledDevice:
    """An inspector of the district registers a device installed outside the platform (no order, no product)."""
    if not actor.is_inspector_of(district_id):
        raise NotAllowed(_("只能登记您负责的区县的设备。"))
    if township_id is not None:
        township = db.session.get(Township, township_id)
        if township is None or township.district_id != district_id:
            raise DomainError(_("请选择该区县的街道或乡镇。"), field="township")
    if device_type not in DeviceType.__members__:
        raise DomainError(_("请选择设备类型。"), field="device_type")
    if gas_type not in GasType.__members__:
        raise DomainError(_("请选择气源种类。"), field="gas_type")
    if household_category not in HouseholdCategory.__members__:
        raise DomainError(_("请选择用户类别。"), field="household_category")
    if not isinstance(installed_on, date) or installed_on > today_shanghai():
        raise DomainError(_("安装日期不能晚于今天。"), field="installed_on")
    if installed_on < EARLIEST_INSTALL:
        raise DomainError(_("安装日期不能早于 2000 年 1 月 1 日。"), field="installed_on")
    brand_model = _required(brand_model, "brand_model", _("请填写品牌和型号。"))
    installer_name = (installer_name or "").strip() or None
    if installer_name and len(installer_name) > NAME_MAX:
        raise DomainError(_("最多 %(max)d 个字。", max=NAME_MAX), field="installer_name")
    address = _required(address, "address", _("请填写安装地址。"), ADDRESS_MAX)
    item = _checked_identity(identifier, carrier, serial)
    installed_at = _installed_at(installed_on)
    device = InstalledDevice(
        identifier=item.identifier, carrier=Carrier(item.carrier), serial=item.serial, product_id=None,
        supplier_id=None, device_type=DeviceType(device_type), order_id=None, owner_id=owner_id,
        district_id=district_id, township_id=township_id, gas_type=GasType(gas_type), installed_at=installed_at,
        installed_on=installed_on, replace_by=services.replace_by(device_type, installed_on),
        state=DeviceState.active, state_at=installed_at, registered_by_id=actor.id, address=address,
        address_tokens=address_search.tokens(address), brand_model=brand_model, installer_name=installer_name,
        household_category=household_category)
    try:
        with db.session.begin_nested():
            db.session.add(device)
            db.session.flush()
    except IntegrityError:  # the same identifier registered a moment ago by someone else
        raise DomainError(_("标识 %(identifier)s 已登记在另一台设备上：标识在全市唯一。",
                            identifier=item.identifier), field="identifier") from None
    audit.record(actor, "device.registered", device, {"identifier": (None, item.identifier),
                                                       "serial": (None, item.serial)},
                 extra={"outside_platform": True, "district_id": district_id})
    db.session.flush()
    return device


def _scoped(query, district_ids):
    """`district_ids` None: city-wide (regulators, admins)."""
    if district_ids is None:
        return query
    return query.where(InstalledDevice.district_id.in_(list(district_ids) or [-1]))


def search_query(district_ids, *, q: str | None = None, state: DeviceState | None = None):
    """The SELECT behind `search` (identifier exact or prefix, serial exact, or a part of the address).

    Searching by address is for the district's own staff (SPEC 3.4): city-wide (`district_ids` None) it is off.
    """
    query = _scoped(select(InstalledDevice), district_ids)
    q = (q or "").strip()
    if q:
        identifier = services.normalise_identifier(q)
        conditions = [InstalledDevice.identifier == identifier,
                      InstalledDevice.identifier.startswith(identifier, autoescape=True),
                      InstalledDevice.serial == q]
        by_address = address_search.matches(InstalledDevice.address_tokens, q) if district_ids is not None else None
        if by_address is not None:
            conditions.append(by_address)
        query = query.where(or_(*conditions))
    if state is not None:
        query = query.where(InstalledDevice.state == state)
    return query.order_by(InstalledDevice.installed_at.desc(), InstalledDevice.id.desc())


def search(district_ids, *, q: str | None = None, state: DeviceState | None = None, page: int | None = None,
           per_page: int = 25):
    """A page of the register (see `search_query`)."""
    return db.paginate(search_query(district_ids, q=q, state=state), page=page, per_page=per_page,
                       error_out=False)


def state_counts(district_ids) -> dict[str, int]:
    """state → number of devices in the districts, by one GROUP BY."""
    rows = db.session.execute(_scoped(select(InstalledDevice.state, func.count()), district_ids)
                              .group_by(InstalledDevice.state))
    return {str(state): count for state, count in rows}
