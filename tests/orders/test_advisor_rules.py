"""The requirement advisor's rules (附件1 二), every combination: pure, no database."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from core.accounts.models import OrganisationKind
from orders import advisor
from orders.advisor import Advice, AdvisorInputError, Clause, DeadlineKind, Level, Note, Situation, Status
from registry.districts.models import HouseholdCategory

TODAY = date(2026, 5, 1)
BEFORE_2022 = date(2021, 12, 20)
HEIGHTS = (True, False, None)
CATEGORIES = ("old_community", "registered_poor", "low_income", "other")
INSTALLED = ({}, {"self_closing_valve": 1}, {"leak_alarm": 2}, {"self_closing_valve": 1, "leak_alarm": 1})


def by_type(advice: Advice) -> dict:
    return {(r.device_type, r.usage): r for r in advice.requirements}


def test_vocabularies_match_the_models():
    assert set(advisor.ORGANISATION_KINDS) == {k.value for k in OrganisationKind}
    assert set(advisor.CATEGORIES) == {c.value for c in HouseholdCategory}


@pytest.mark.parametrize(("category", "over_100m", "new_user", "installed"),
                         list(itertools.product(CATEGORIES, HEIGHTS, (True, False), INSTALLED)))
def test_household_every_combination(category, over_100m, new_user, installed):
    advice = advisor.advise(Situation(advisor.HOUSEHOLD, over_100m=over_100m, new_user=new_user, category=category),
                            installed, today=TODAY)
    reqs = by_type(advice)
    # a valve for every household; a household alarm unless the building is known to be at most 100 m
    expected = {("self_closing_valve", None)} | ({("leak_alarm", "household")} if over_100m is not False else set())
    assert set(reqs) == expected
    priority = category != "other"
    for (device_type, _usage), r in reqs.items():
        assert r.have == installed.get(device_type, 0)
        assert r.still_needed == (r.have == 0)
        assert r.only_if_over_100m == (device_type == "leak_alarm" and over_100m is None)
        if new_user:
            assert (r.level, r.clause, r.deadline_kind, r.deadline) == (
                Level.required, Clause.new_users, DeadlineKind.gas_acceptance, None)
        elif priority:
            assert (r.level, r.clause, r.deadline_kind, r.deadline) == (
                Level.required, Clause.existing_households, DeadlineKind.date, date(2022, 12, 31))
        else:
            assert (r.level, r.clause, r.deadline_kind, r.deadline) == (
                Level.encouraged, Clause.existing_households, DeadlineKind.none, None)
        if r.have:
            assert r.status == Status.installed
        elif not r.required:
            assert r.status == Status.encouraged
        elif r.only_if_over_100m:
            assert r.status == Status.check_height
        elif new_user:
            assert r.status == Status.before_gas
        else:
            assert r.status == Status.overdue and r.overdue  # 2022-12-31 has passed: said honestly
    assert (Note.no_alarm_below_100m in advice.notes) == (over_100m is False)
    assert (Note.height_unknown in advice.notes) == (over_100m is None)
    assert Note.organisation_no_valve not in advice.notes
    assert [r.filter for r in advice.outstanding] == [r.filter for r in advice.requirements if not r.have]


@pytest.mark.parametrize(("kind", "over_100m", "new_user", "installed"),
                         list(itertools.product(advisor.ORGANISATION_KINDS, HEIGHTS, (True, False), INSTALLED)))
def test_organisation_every_combination(kind, over_100m, new_user, installed):
    advice = advisor.advise(Situation(advisor.ORGANISATION, organisation_kind=kind, over_100m=over_100m,
                                      new_user=new_user), installed, today=TODAY)
    (r,) = advice.requirements  # a commercial leak alarm only: 附件1 二 names no valve for organisations
    assert r.filter == ("leak_alarm", "commercial")
    assert r.required and not r.only_if_over_100m
    assert r.have == installed.get("leak_alarm", 0)
    if new_user:
        assert (r.clause, r.deadline_kind, r.deadline) == (Clause.new_users, DeadlineKind.gas_acceptance, None)
    else:
        assert (r.clause, r.deadline_kind, r.deadline) == (Clause.existing_organisations, DeadlineKind.date,
                                                           date(2022, 1, 31))
    expected_status = Status.installed if r.have else (Status.before_gas if new_user else Status.overdue)
    assert r.status == expected_status
    assert Note.organisation_no_valve in advice.notes
    assert (Note.organisation_height_irrelevant in advice.notes) == (over_100m is not None)
    assert (Note.other_organisation_covered in advice.notes) == (kind == "other" and not new_user)


def test_a_deadline_not_yet_passed_is_due_not_overdue():
    household = advisor.advise(Situation(advisor.HOUSEHOLD, over_100m=False, category="low_income"),
                               today=BEFORE_2022)
    assert household.requirements[0].status == Status.due
    organisation = advisor.advise(Situation(advisor.ORGANISATION, organisation_kind="school"), today=date(2022, 1, 31))
    assert organisation.requirements[0].status == Status.due  # the last day itself is still in time
    late = advisor.advise(Situation(advisor.ORGANISATION, organisation_kind="school"), today=date(2022, 2, 1))
    assert late.requirements[0].status == Status.overdue


def test_new_household_category_is_optional_and_changes_nothing():
    without = advisor.advise(Situation(advisor.HOUSEHOLD, over_100m=True, new_user=True), today=TODAY)
    with_category = advisor.advise(Situation(advisor.HOUSEHOLD, over_100m=True, new_user=True,
                                             category="old_community"), today=TODAY)
    assert without.requirements == with_category.requirements
    assert Note.new_user_category_irrelevant in with_category.notes


def test_outstanding_required_leaves_out_encouraged_and_installed():
    advice = advisor.advise(Situation(advisor.HOUSEHOLD, over_100m=True, category="other"), today=TODAY)
    assert advice.outstanding_required == [] and len(advice.outstanding) == 2
    advice = advisor.advise(Situation(advisor.HOUSEHOLD, over_100m=True, category="old_community"),
                            {"self_closing_valve": 1}, today=TODAY)
    assert [r.filter for r in advice.outstanding_required] == [("leak_alarm", "household")]


def test_an_alarm_of_unknown_height_is_outstanding_only_conditionally():
    advice = advisor.advise(Situation(advisor.HOUSEHOLD, category="low_income"), today=TODAY)
    assert [r.filter for r in advice.outstanding_certain] == [("self_closing_valve", None)]
    assert [r.filter for r in advice.outstanding_if_over_100m] == [("leak_alarm", "household")]
    known = advisor.advise(Situation(advisor.HOUSEHOLD, over_100m=True, category="low_income"), today=TODAY)
    assert len(known.outstanding_certain) == 2 and known.outstanding_if_over_100m == []


def test_negative_or_missing_counts_count_as_none():
    advice = advisor.advise(Situation(advisor.ORGANISATION, organisation_kind="hotel"), {"leak_alarm": -3},
                            today=TODAY)
    assert advice.requirements[0].have == 0 and advice.requirements[0].still_needed


@pytest.mark.parametrize(("fields", "field"), [
    ({"kind": "company"}, "kind"),
    ({"kind": "organisation"}, "organisation_kind"),
    ({"kind": "organisation", "organisation_kind": "bank"}, "organisation_kind"),
    ({"kind": "household"}, "category"),  # an existing household must say its category
    ({"kind": "household", "category": "rich"}, "category"),
    ({"kind": "household", "category": "other", "over_100m": "yes"}, "over_100m"),
])
def test_impossible_situations_name_the_field(fields, field):
    with pytest.raises(AdvisorInputError) as caught:
        Situation(**fields)
    assert caught.value.field == field
