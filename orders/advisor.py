"""The requirement advisor (附件1 二 主要目标): which gas safety devices a user must install, and by when.

Pure rules: no Flask, no database. The pages (orders.advisor_routes) turn the codes into words.

What 附件1 二 says (《重庆市深化燃气安全专项整治实施方案》, 渝府办发〔2021〕156号):
- 新增用户全覆盖: new organisation users install a gas leak alarm; new households a self-closing valve, and
  in a building taller than 100 m also a leak alarm. Both are checked at gas connection acceptance
  (通气验收, 附件1 四(三)), so the deadline of a new user is "before the gas is connected".
- 既有单位用户全覆盖: by the end of January 2022 existing organisations (餐饮、酒店、商场、学校、医院等 — the
  等 covers every other organisation on piped gas) install a leak alarm. It names no valve for organisations.
- 既有居民用户全面推进: by the end of 2022 existing households in old communities and hardship households
  install a valve (over 100 m also an alarm); the other existing households are encouraged (全力推进).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

HOUSEHOLD, ORGANISATION = "household", "organisation"
USER_KINDS = (HOUSEHOLD, ORGANISATION)
#: The organisation kinds of core.accounts.models.OrganisationKind (餐饮/酒店/商场/学校/医院/其他).
ORGANISATION_KINDS = ("restaurant", "hotel", "mall", "school", "hospital", "other")
#: The household categories of registry.districts.models.HouseholdCategory.
CATEGORIES = ("old_community", "registered_poor", "low_income", "other")
#: Old-community and hardship households (老旧小区居民用户和生活困难用户): required by the end of 2022.
PRIORITY_CATEGORIES = frozenset({"old_community", "registered_poor", "low_income"})

#: 到 2022年1月底 (既有单位用户).
EXISTING_ORGANISATIONS_BY = date(2022, 1, 31)
#: 到 2022年底 (既有老旧小区和生活困难居民用户).
EXISTING_PRIORITY_HOUSEHOLDS_BY = date(2022, 12, 31)

VALVE, ALARM = "self_closing_valve", "leak_alarm"


class Clause(enum.StrEnum):
    """The paragraph of 附件1 二 a requirement comes from."""

    new_users = "new_users"  # 新增用户全覆盖
    existing_organisations = "existing_organisations"  # 既有单位用户全覆盖
    existing_households = "existing_households"  # 既有居民用户全面推进


class Level(enum.StrEnum):
    required = "required"
    encouraged = "encouraged"


class DeadlineKind(enum.StrEnum):
    #: Before the gas is connected: checked at 通气验收.
    gas_acceptance = "gas_acceptance"
    date = "date"
    #: Encouraged, no deadline.
    none = "none"


class Status(enum.StrEnum):
    """Where the user stands on one requirement (today)."""

    installed = "installed"  # at least one in place
    overdue = "overdue"  # required, the deadline has passed (已逾期)
    due = "due"  # required, the deadline is still ahead
    before_gas = "before_gas"  # required before the gas is connected (new user)
    check_height = "check_height"  # required only if the building is taller than 100 m (height unknown)
    encouraged = "encouraged"  # encouraged, no deadline


class Note(enum.StrEnum):
    """Things the answer says besides the list of devices."""

    organisation_no_valve = "organisation_no_valve"  # 附件1 二 names no valve for organisations
    organisation_height_irrelevant = "organisation_height_irrelevant"
    other_organisation_covered = "other_organisation_covered"  # 餐饮、酒店、商场、学校、医院"等"
    new_user_category_irrelevant = "new_user_category_irrelevant"
    height_unknown = "height_unknown"
    no_alarm_below_100m = "no_alarm_below_100m"


class AdvisorInputError(ValueError):
    """A situation the rules cannot answer; `field` names the form field at fault."""

    def __init__(self, field: str):
        super().__init__(field)
        self.field = field


@dataclass(frozen=True)
class Situation:
    """Who is asking: household or organisation (and its kind), building height, new or existing gas user."""

    kind: str
    #: Only for organisations.
    organisation_kind: str | None = None
    #: True / False, or None when the user does not know.
    over_100m: bool | None = None
    new_user: bool = False
    #: Only for households; needed for an existing household (it decides required vs encouraged).
    category: str | None = None

    def __post_init__(self):
        if self.kind not in USER_KINDS:
            raise AdvisorInputError("kind")
        if self.over_100m not in (True, False, None):
            raise AdvisorInputError("over_100m")
        if self.kind == ORGANISATION:
            if self.organisation_kind not in ORGANISATION_KINDS:
                raise AdvisorInputError("organisation_kind")
        elif self.category is not None and self.category not in CATEGORIES:
            raise AdvisorInputError("category")
        elif self.category is None and not self.new_user:
            raise AdvisorInputError("category")

    @property
    def priority_household(self) -> bool:
        """An old-community or hardship household: the deadline of 2022 and, once verified, a subsidy."""
        return self.kind == HOUSEHOLD and self.category in PRIORITY_CATEGORIES


@dataclass(frozen=True)
class Requirement:
    """One device the user must (or is encouraged to) have."""

    device_type: str
    #: household / commercial for alarms (the district list and search filter by it); None for valves.
    usage: str | None
    level: Level
    clause: Clause
    deadline_kind: DeadlineKind
    deadline: date | None
    #: True when it applies only in a building taller than 100 m and the height is unknown.
    only_if_over_100m: bool
    #: How many of this device type the user has in place.
    have: int
    status: Status

    @property
    def required(self) -> bool:
        return self.level == Level.required

    @property
    def still_needed(self) -> bool:
        return self.have == 0

    @property
    def overdue(self) -> bool:
        return self.status == Status.overdue

    @property
    def filter(self) -> tuple[str, str | None]:
        """(device_type, usage) as the district list (/districts/{code}) and /search understand them."""
        return self.device_type, self.usage


@dataclass(frozen=True)
class Advice:
    situation: Situation
    requirements: tuple[Requirement, ...]
    notes: tuple[Note, ...]

    @property
    def outstanding(self) -> list[Requirement]:
        """What the user still needs to install (required or encouraged)."""
        return [r for r in self.requirements if r.still_needed]

    @property
    def outstanding_required(self) -> list[Requirement]:
        return [r for r in self.outstanding if r.required]

    @property
    def outstanding_certain(self) -> list[Requirement]:
        """Required and still needed whatever the building's height."""
        return [r for r in self.outstanding_required if not r.only_if_over_100m]

    @property
    def outstanding_if_over_100m(self) -> list[Requirement]:
        """Required and still needed only if the building is taller than 100 m (the user does not know)."""
        return [r for r in self.outstanding_required if r.only_if_over_100m]


def _status(level: Level, deadline_kind: DeadlineKind, deadline: date | None, only_if: bool, have: int,
            today: date) -> Status:
    if have > 0:
        return Status.installed
    if level == Level.encouraged:
        return Status.encouraged
    if only_if:
        return Status.check_height
    if deadline_kind == DeadlineKind.gas_acceptance:
        return Status.before_gas
    return Status.overdue if deadline is not None and today > deadline else Status.due


def advise(situation: Situation, installed: Mapping[str, int] | None = None, *, today: date) -> Advice:
    """The devices `situation` must (or is encouraged to) install, given the devices in place (type → count)."""
    installed = installed or {}
    s = situation
    notes: list[Note] = []
    # (device_type, usage, level, clause, deadline kind, deadline, only_if_over_100m)
    rules: list[tuple] = []
    if s.kind == ORGANISATION:
        notes.append(Note.organisation_no_valve)
        if s.over_100m is not None:
            notes.append(Note.organisation_height_irrelevant)
        if s.organisation_kind == "other" and not s.new_user:
            notes.append(Note.other_organisation_covered)
        if s.new_user:
            rules.append((ALARM, "commercial", Level.required, Clause.new_users, DeadlineKind.gas_acceptance, None))
        else:
            rules.append((ALARM, "commercial", Level.required, Clause.existing_organisations, DeadlineKind.date,
                          EXISTING_ORGANISATIONS_BY))
    else:
        if s.new_user:
            if s.category is not None:
                notes.append(Note.new_user_category_irrelevant)
            rule = (Level.required, Clause.new_users, DeadlineKind.gas_acceptance, None)
        elif s.category in PRIORITY_CATEGORIES:
            rule = (Level.required, Clause.existing_households, DeadlineKind.date, EXISTING_PRIORITY_HOUSEHOLDS_BY)
        else:
            rule = (Level.encouraged, Clause.existing_households, DeadlineKind.none, None)
        rules.append((VALVE, None, *rule))
        if s.over_100m is None:
            notes.append(Note.height_unknown)
        elif s.over_100m is False:
            notes.append(Note.no_alarm_below_100m)
        if s.over_100m is not False:
            rules.append((ALARM, "household", *rule))
    requirements = []
    for device_type, usage, level, clause, deadline_kind, deadline in rules:
        only_if = device_type == ALARM and s.kind == HOUSEHOLD and s.over_100m is None
        have = max(0, int(installed.get(device_type, 0) or 0))
        requirements.append(Requirement(
            device_type=device_type, usage=usage, level=level, clause=clause, deadline_kind=deadline_kind,
            deadline=deadline, only_if_over_100m=only_if, have=have,
            status=_status(level, deadline_kind, deadline, only_if, have, today)))
    return Advice(s, tuple(requirements), tuple(notes))
