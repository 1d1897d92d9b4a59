"""Stripe's form encoding (metadata[k]=v, line_items[0][price_data][unit_amount]=...) and parameter checks."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from payments.stub.errors import invalid

_NAME = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")
_INTEGER = re.compile(r"^-?\d{1,18}$")


def parse_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nest flat form pairs into dicts and lists, numbered or empty brackets becoming list items."""
    root: dict[str, Any] = {}
    for name, value in pairs:
        match = _NAME.match(name)
        if not match:
            raise invalid(f"Invalid parameter name: {name}", param=name, code="parameter_invalid")
        path = [match.group(1), *_PART.findall(match.group(2))]
        _assign(root, path, value, name)
    return _listify(root)


def _assign(node: dict[str, Any], path: list[str], value: str, name: str) -> None:
    """Set value at path, creating intermediate dicts; a key used both as a value and a container is a 400."""
    for position, part in enumerate(path):
        key = part if part != "" else str(len(node))
        if position == len(path) - 1:
            if isinstance(node.get(key), dict):
                raise invalid(f"Invalid parameter: {name}", param=name, code="parameter_invalid")
            node[key] = value
            return
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise invalid(f"Invalid parameter: {name}", param=name, code="parameter_invalid")
        node = child


def _listify(node: Any) -> Any:
    """Turn dicts whose keys are all array indexes into lists ordered by index."""
    if not isinstance(node, dict):
        return node
    items = {key: _listify(value) for key, value in node.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


#: A parameter schema: name -> SCALAR, HASH (free keys, as metadata), a nested schema dict,
#: or a one-element list [schema] for an array of such values.
SCALAR = None
HASH = "hash"
#: The parameters every list endpoint takes.
LIST_PARAMS: dict[str, Any] = {"limit": SCALAR, "starting_after": SCALAR, "ending_before": SCALAR}


def reject_unknown(params: dict[str, Any], schema: dict[str, Any] | set[str], prefix: str = "") -> None:
    """Refuse any parameter, at any depth, the endpoint does not take (400 parameter_unknown), as Stripe does."""
    if isinstance(schema, set):
        schema = dict.fromkeys(schema, SCALAR)
    if not prefix:
        schema = {**schema, "expand": [SCALAR]}
    for name, value in params.items():
        full = f"{prefix}[{name}]" if prefix else name
        if name not in schema:
            raise invalid(f"Received unknown parameter: {full}", param=full, code="parameter_unknown")
        _check_value(value, schema[name], full)


def _check_value(value: Any, spec: Any, name: str) -> None:
    """Check a nested value against its schema entry."""
    if isinstance(spec, dict) and isinstance(value, dict):
        reject_unknown(value, spec, name)
    elif isinstance(spec, list) and isinstance(value, list):
        for index, item in enumerate(value):
            _check_value(item, spec[0], f"{name}[{index}]")
    elif spec is SCALAR and isinstance(value, dict | list):
        raise invalid(f"Invalid value for {name}: a single value was expected.", param=name,
                      code="parameter_invalid")


def get_str(
    params: dict[str, Any],
    name: str,
    *,
    required: bool = False,
    choices: Iterable[str] | None = None,
    max_length: int = 5000,
) -> str | None:
    """A string parameter, optionally required or limited to choices."""
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise invalid(f"Missing required param: {name}.", param=name, code="parameter_missing")
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise invalid(f"Invalid string: {name}", param=name, code="parameter_invalid_string")
    allowed = list(choices) if choices is not None else None
    if allowed is not None and value not in allowed:
        raise invalid(
            f"Invalid {name}: must be one of {', '.join(allowed)}",
            param=name,
            code="parameter_invalid_string",
        )
    return value


def get_int(
    params: dict[str, Any],
    name: str,
    *,
    required: bool = False,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    """An integer parameter (sent as a string) within bounds."""
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise invalid(f"Missing required param: {name}.", param=name, code="parameter_missing")
        return None
    if not isinstance(value, str) or not _INTEGER.match(value):
        raise invalid(f"Invalid integer: {value}", param=name, code="parameter_invalid_integer")
    number = int(value)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise invalid(f"Invalid {name}: must be {bounds}", param=name, code="parameter_invalid_integer")
    return number


def get_bool(params: dict[str, Any], name: str) -> bool:
    """A boolean parameter sent as true/false."""
    value = params.get(name)
    if value in (None, "", "false"):
        return False
    if value == "true":
        return True
    raise invalid(f"Invalid boolean: {value}", param=name, code="parameter_invalid_boolean")


def get_dict(params: dict[str, Any], name: str) -> dict[str, Any]:
    """A nested hash parameter (empty when absent)."""
    value = params.get(name)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid(f"Invalid hash: {name}", param=name, code="parameter_invalid")
    return value


def get_list(params: dict[str, Any], name: str) -> list[Any]:
    """An array parameter (empty when absent)."""
    value = params.get(name)
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        raise invalid(f"Invalid array: {name}", param=name, code="parameter_invalid")
    return value


def merge_metadata(params: dict[str, Any], current: dict[str, str] | None = None) -> dict[str, str]:
    """Apply metadata as Stripe does: merge keys, an empty value deletes a key, metadata='' clears all."""
    if params.get("metadata") == "":
        return {}
    result = dict(current or {})
    for key, value in get_dict(params, "metadata").items():
        if not isinstance(value, str) or len(key) > 40 or len(value) > 500:
            raise invalid(f"Invalid metadata[{key}]", param=f"metadata[{key}]", code="parameter_invalid")
        if value == "":
            result.pop(key, None)
        else:
            result[key] = value
    if len(result) > 50:
        raise invalid("Metadata can have at most 50 keys.", param="metadata", code="parameter_invalid")
    return result


def expand_list(params: dict[str, Any]) -> list[str]:
    """The names of fields to expand."""
    return [name for name in get_list(params, "expand") if isinstance(name, str)]
