"""Search parameters shared by the API and the search page: parsing and validation of each filter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from sqlalchemy import select

from catalog.models import DeviceType, Tier, Usage
from core.db import db
from core.districts import District
from core.errors import DomainError
from core.i18n import _, join_list

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
MAX_PAGE = 10_000
MAX_Q_LENGTH = 200
SORTS = ("relevance", "price", "-price")
#: Price bands of the search page facet: (key, lowest fen included, highest fen excluded).
PRICE_BANDS = (
    ("0-200", 0, 20_000),
    ("200-500", 20_000, 50_000),
    ("500-1000", 50_000, 100_000),
    ("1000-", 100_000, None),
)
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


@dataclass(frozen=True)
class SearchParams:
    """What a search asks for (validated)."""

    q: str = ""
    district: str | None = None
    device_type: str | None = None
    usage: str | None = None
    tier: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    smart: bool | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def args(self, **changes) -> dict:
        """Query-string arguments that reproduce these parameters (with `changes`), defaults left out."""
        values = replace(self, **changes)
        out = {}
        for f in fields(self):
            value = getattr(values, f.name)
            if value is None or value == f.default or (value == "" and f.name != "district"):
                continue
            out[f.name] = ("true" if value else "false") if isinstance(value, bool) else value
        return out


def _choice(name: str, raw: str, allowed) -> str:
    if raw not in allowed:
        raise DomainError(_("参数 %(name)s 的取值“%(value)s”无效，可选：%(choices)s。", name=name, value=raw[:40],
                            choices=join_list(allowed, style="or")), field=name, code="invalid_parameter")
    return raw


def _integer(name: str, raw: str, lowest: int, highest: int) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise DomainError(_("参数 %(name)s 必须是整数。", name=name), field=name, code="invalid_parameter") from None
    if not lowest <= value <= highest:
        raise DomainError(_("参数 %(name)s 必须在 %(low)s 到 %(high)s 之间。", name=name, low=lowest, high=highest),
                          field=name, code="invalid_parameter")
    return value


def _district(raw: str) -> str:
    code = raw.strip().upper()
    if not db.session.scalar(select(District.id).where(District.code == code)):
        raise DomainError(_("没有代码为“%(code)s”的区县。", code=raw[:40]), field="district", code="invalid_parameter")
    return code


def _smart(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise DomainError(_("参数 smart 只能是 true 或 false。"), field="smart", code="invalid_parameter")


def _parse_one(name: str, raw: str, per_page_limit: int):
    parsers = {
        "district": _district,
        "device_type": lambda v: _choice("device_type", v, [d.value for d in DeviceType]),
        "usage": lambda v: _choice("usage", v, [u.value for u in Usage]),
        "tier": lambda v: _choice("tier", v, [t.value for t in Tier]),
        "min_price": lambda v: _integer("min_price", v, 0, 10**9),
        "max_price": lambda v: _integer("max_price", v, 0, 10**9),
        "smart": _smart,
        "sort": lambda v: _choice("sort", v, SORTS),
        "page": lambda v: _integer("page", v, 1, MAX_PAGE),
        "per_page": lambda v: _integer("per_page", v, 1, per_page_limit),
    }
    return parsers[name](raw)


def parse_params(args: Mapping[str, str], *, per_page_limit: int = MAX_PER_PAGE,
                 default_per_page: int = DEFAULT_PER_PAGE) -> tuple[SearchParams, list[DomainError]]:
    """Validated parameters and the errors of the values that were left out (empty values are ignored)."""
    q = (args.get("q") or "").strip()
    values: dict = {"q": q[:MAX_Q_LENGTH], "per_page": default_per_page}
    errors: list[DomainError] = []
    if len(q) > MAX_Q_LENGTH:
        errors.append(DomainError(_("搜索词不能超过 %(n)s 个字符。", n=MAX_Q_LENGTH), field="q",
                                  code="invalid_parameter"))
    for name in ("district", "device_type", "usage", "tier", "min_price", "max_price", "smart", "sort", "page",
                 "per_page"):
        raw = args.get(name)
        if raw is None or not raw.strip():
            continue
        try:
            values[name] = _parse_one(name, raw.strip(), per_page_limit)
        except DomainError as exc:
            errors.append(exc)
    if values.get("min_price") is not None and values.get("max_price") is not None \
            and values["min_price"] > values["max_price"]:
        errors.append(DomainError(_("最低价格不能高于最高价格。"), field="min_price", code="invalid_parameter"))
        values.pop("min_price")
    return SearchParams(**values), errors
