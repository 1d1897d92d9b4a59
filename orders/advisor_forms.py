"""The requirement advisor's question form (a GET form: the answer is a link anyone can share)."""

from __future__ import annotations

from wtforms import RadioField, SelectField
from wtforms.validators import InputRequired, Optional, StopValidation, ValidationError

from core.districts import all_districts
from core.forms import BaseForm, choices
from core.i18n import _l
from orders import advisor

KIND_CHOICES = [(advisor.HOUSEHOLD, _l("居民用户（家庭）")),
                (advisor.ORGANISATION, _l("单位用户（餐馆、酒店、商场、学校、医院等）"))]
ORGANISATION_KIND_CHOICES = [("restaurant", _l("餐饮")), ("hotel", _l("酒店")), ("mall", _l("商场")),
                             ("school", _l("学校")), ("hospital", _l("医院")), ("other", _l("其他单位"))]
HEIGHT_CHOICES = [("yes", _l("超过 100 米（大约 33 层以上）")), ("no", _l("不超过 100 米")), ("unknown", _l("不清楚"))]
GAS_USER_CHOICES = [("existing", _l("已经在用管道天然气（既有用户）")),
                    ("new", _l("刚开户、还没通气（新增用户）"))]
CATEGORY_CHOICES = [("old_community", _l("老旧小区居民")), ("registered_poor", _l("建档贫困户")),
                    ("low_income", _l("城镇低保户")), ("other", _l("以上都不是"))]
HEIGHTS = {"yes": True, "no": False, "unknown": None}
UNKNOWN_CHOICE = _l("这个选项不在列表中，请从列表中选择。")


def applies_to(kind: str):
    """Validate the field only when the user said `kind` (the page hides it otherwise, so no error could be seen)."""

    def check(form, field) -> None:
        if form.kind.data != kind:
            field.errors[:] = []
            raise StopValidation()  # no message: stops the chain without an error

    return check


def listed_choice(_form, field) -> None:
    """Replaces WTForms' "Not a valid choice" by a message that says what to do (a hand-edited link)."""
    if field.data not in (None, "") and field.data not in {str(choice.value) for choice in field.choices}:
        raise StopValidation(UNKNOWN_CHOICE)


class AdvisorForm(BaseForm):
    """Household or organisation (and its kind), building height, new or existing gas user, category."""

    class Meta:
        csrf = False  # a question, not a change: GET, bookmarkable

    kind = RadioField(_l("您是"), choices=choices(KIND_CHOICES), validate_choice=False,
                      validators=[listed_choice, InputRequired(_l("请选择居民用户或单位用户。"))])
    organisation_kind = RadioField(_l("单位类型（单位用户填写）"), choices=choices(ORGANISATION_KIND_CHOICES),
                                   validate_choice=False, validators=[applies_to(advisor.ORGANISATION), listed_choice])
    #: Not answered counts as "不清楚" (a shared link may leave it out).
    over_100m = RadioField(_l("所在建筑的高度"), choices=choices(HEIGHT_CHOICES), default="unknown",
                           validate_choice=False, validators=[applies_to(advisor.HOUSEHOLD), listed_choice])
    gas_user = RadioField(_l("用气情况"), choices=choices(GAS_USER_CHOICES), validate_choice=False,
                          validators=[listed_choice, InputRequired(_l("请选择已经在用气还是新开户。"))])
    category = RadioField(_l("住户类别（居民用户填写）"), choices=choices(CATEGORY_CHOICES), validate_choice=False,
                          validators=[applies_to(advisor.HOUSEHOLD), listed_choice],
                          description=_l("它决定安装期限：老旧小区居民和生活困难群众须在 2022 年底前装好。"))
    district = SelectField(_l("您所在的区县"), validate_choice=False, validators=[Optional(), listed_choice],
                           description=_l("用来打开本区县公布的销售安装单位清单。"))

    def __init__(self, *args, locale: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.district.choices = choices([("", _l("请选择")),
                                         *[(d.code, d.display_name(locale)) for d in all_districts()]])

    # The inline validators run after applies_to and listed_choice: only for the kind they belong to, and
    # only when the value is empty or listed.
    def validate_organisation_kind(self, field):
        if not field.data:
            raise ValidationError(_l("单位用户请选择单位类型。"))

    def validate_category(self, field):
        if self.gas_user.data == "existing" and not field.data:
            raise ValidationError(_l("已经在用气的居民用户请选择住户类别：它决定安装期限。"))

    def situation(self) -> advisor.Situation:
        """The validated answers as the rules' input."""
        household = self.kind.data == advisor.HOUSEHOLD
        return advisor.Situation(kind=self.kind.data,
                                 organisation_kind=None if household else self.organisation_kind.data,
                                 over_100m=HEIGHTS.get(self.over_100m.data), new_user=self.gas_user.data == "new",
                                 category=(self.category.data or None) if household else None)
