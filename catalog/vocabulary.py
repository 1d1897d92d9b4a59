"""The catalog's vocabulary, defined once: device types, usages, tiers, certificate kinds and states.

Each enum has a `.title` (a lazy translated label). The models store these enums, the 附件3 validator's
tuples (catalog.validation_input) are read from them, and pages show `.title`. Pure: no database, so the
validator may use it without an import cycle.
"""

from __future__ import annotations

import enum

from core.i18n import _l


class _Titled(enum.StrEnum):
    """A StrEnum whose members have a translated label."""

    @property
    def title(self):
        return _TITLES[type(self)][self]


class DeviceType(_Titled):
    """Kinds of gas safety device (附件3)."""

    leak_alarm = "leak_alarm"
    self_closing_valve = "self_closing_valve"


class Usage(_Titled):
    """Alarm usage: household (GB 15322.2) or commercial (GB 15322.1)."""

    household = "household"
    commercial = "commercial"


class Tier(_Titled):
    """Product tier: 低档 / 中档 / 高档."""

    low = "low"
    mid = "mid"
    high = "high"


TIER_ORDER = (Tier.low, Tier.mid, Tier.high)


class CertificateKind(_Titled):
    """Certificate kinds of 附件3 一、1 and the valve type test report."""

    pattern_approval = "pattern_approval"
    explosion_proof = "explosion_proof"
    fire_product = "fire_product"
    type_test_report = "type_test_report"


class CertificateStatus(_Titled):
    """States of the national certification register."""

    valid = "valid"
    suspended = "suspended"
    revoked = "revoked"
    cancelled = "cancelled"
    expired = "expired"


_TITLES = {
    DeviceType: {DeviceType.leak_alarm: _l("燃气泄漏报警装置"), DeviceType.self_closing_valve: _l("安全自闭阀")},
    Usage: {Usage.household: _l("家用"), Usage.commercial: _l("商用")},
    Tier: {Tier.low: _l("低档"), Tier.mid: _l("中档"), Tier.high: _l("高档")},
    CertificateKind: {
        CertificateKind.pattern_approval: _l("计量器具型式批准证书"),
        CertificateKind.explosion_proof: _l("防爆合格证"),
        CertificateKind.fire_product: _l("消防产品认证证书（现为 CCC 强制性产品认证）"),
        CertificateKind.type_test_report: _l("型式检验报告"),
    },
    CertificateStatus: {
        CertificateStatus.valid: _l("有效"),
        CertificateStatus.suspended: _l("暂停"),
        CertificateStatus.revoked: _l("撤销"),
        CertificateStatus.cancelled: _l("注销"),
        CertificateStatus.expired: _l("过期"),
    },
}


def titles(vocabulary: type[_Titled]) -> dict:
    """{member: label} for forms' choices and templates' lookups (the labels above, never copies)."""
    return {member: member.title for member in vocabulary}
