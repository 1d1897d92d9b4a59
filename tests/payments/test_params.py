"""Stripe's nested form encoding as the stub parses it."""

import pytest

from payments.stub.errors import StripeError
from payments.stub.params import get_int, merge_metadata, parse_pairs


def test_nested_keys_and_numbered_arrays_become_dicts_and_lists():
    pairs = [
        ("metadata[order_id]", "5"),
        ("line_items[1][quantity]", "2"),
        ("line_items[0][price_data][unit_amount]", "19900"),
        ("line_items[0][price_data][product_data][name]", "报警器"),
        ("line_items[1][price_data][unit_amount]", "500"),
        ("expand[]", "line_items"),
        ("mode", "payment"),
    ]
    assert parse_pairs(pairs) == {
        "metadata": {"order_id": "5"},
        "line_items": [
            {"price_data": {"unit_amount": "19900", "product_data": {"name": "报警器"}}},
            {"quantity": "2", "price_data": {"unit_amount": "500"}},
        ],
        "expand": ["line_items"],
        "mode": "payment",
    }


def test_array_indexes_are_ordered_numerically():
    pairs = [(f"payment_method_types[{i}]", str(i)) for i in (10, 2, 1, 0)]
    assert parse_pairs(pairs)["payment_method_types"] == ["0", "1", "2", "10"]


@pytest.mark.parametrize("name", ["a[b", "[x]", "a]b["])
def test_malformed_names_are_refused(name):
    with pytest.raises(StripeError) as caught:
        parse_pairs([(name, "1")])
    assert caught.value.status == 400


def test_a_key_used_as_value_and_container_is_refused():
    with pytest.raises(StripeError):
        parse_pairs([("metadata", "x"), ("metadata[a]", "1")])


def test_integers_are_checked_with_bounds():
    assert get_int({"amount": "100"}, "amount", minimum=1) == 100
    for bad in ("1.5", "abc", "0"):
        with pytest.raises(StripeError) as caught:
            get_int({"amount": bad}, "amount", minimum=1)
        assert caught.value.param == "amount"


def test_metadata_merges_deletes_with_empty_value_and_clears_with_empty_string():
    current = {"a": "1", "b": "2"}
    assert merge_metadata({"metadata": {"b": "", "c": "3"}}, current) == {"a": "1", "c": "3"}
    assert merge_metadata({"metadata": ""}, current) == {}
    assert merge_metadata({}, current) == current
