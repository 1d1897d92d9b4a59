"""One date style per locale, no seconds, shown in Asia/Shanghai."""

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from core.i18n import date_local, datetime_local

MOMENT = datetime(2026, 12, 2, 0, 39, 5, tzinfo=UTC)  # 08:39:05 in Shanghai


@pytest.mark.parametrize("fmt", ["short", "medium", "long", "full"])
def test_chinese_dates_and_times(app, fmt):
    with app.test_request_context(), force_locale("zh_CN"):
        assert datetime_local(MOMENT, fmt) == "2026年12月2日 08:39"
        assert date_local(date(2026, 12, 2), fmt) == "2026年12月2日"


@pytest.mark.parametrize("fmt", ["short", "medium", "long", "full"])
def test_english_dates_and_times_are_not_us_style(app, fmt):
    with app.test_request_context(), force_locale("en"):
        assert datetime_local(MOMENT, fmt) == "2 Dec 2026, 08:39"
        assert date_local(date(2026, 12, 2), fmt) == "2 Dec 2026"


def test_a_timestamp_shown_as_a_date_is_its_shanghai_day(app):
    late = datetime(2026, 12, 1, 18, 30, tzinfo=UTC)  # 02:30 on 2 December in Shanghai
    with app.test_request_context(), force_locale("en"):
        assert date_local(late) == "2 Dec 2026"
        assert datetime_local(date(2026, 12, 2)) == "2 Dec 2026"
        assert datetime_local(None) == "—" and date_local(None) == "—"


def test_templates_filters_use_the_style(app):
    with app.test_request_context(), force_locale("en"):
        rendered = app.jinja_env.from_string("{{ t|dt('short') }} / {{ t|dt }} / {{ t|d('long') }}").render(t=MOMENT)
    assert rendered == "2 Dec 2026, 08:39 / 2 Dec 2026, 08:39 / 2 Dec 2026"
