import pytest

from core.forms import format_yuan, parse_yuan


@pytest.mark.parametrize(("text", "fen"), [("199", 19900), ("199.5", 19950), ("199.50", 19950), ("0", 0),
                                          ("¥1,280.00", 128000), (" 30 ", 3000), ("", None), ("0.01", 1)])
def test_parse_yuan(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["199.999", "-1", "abc", "1e3x", "NaN", "Infinity", "10000000"])
def test_parse_yuan_refuses(app, text):
    with app.test_request_context(), pytest.raises(ValueError):
        parse_yuan(text)


def test_format_yuan_round_trips():
    assert format_yuan(19950) == "199.50"
    assert parse_yuan(format_yuan(123456)) == 123456
    assert format_yuan(None) == ""
