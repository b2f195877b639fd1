"""Does an answer match a published example: field names, value types and value formats?

The formats are read off the example itself, so a fixture whose ``createdAt`` became
milliseconds, or whose token lost its timestamp, makes every comparison with it fail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures"

UID = re.compile(r"[a-z0-9_-]{1,100}")
TOKEN = re.compile(r"(?P<uid>[a-z0-9_-]+)_(?P<stamp>[0-9]{10})(?P<rest>[0-9a-f]+)")
UID_KEYS = {"uid", "deactivatedUids", "nonDeactivatedUids"}
#: The caller's own JSON: an object, whatever its fields.
FREE_FORM = {"metadata", "appInfo"}


def fixture(name: str) -> dict[str, Any]:
    """A fixture file: ``source``, ``status`` and the published ``example``."""
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return loaded


def value_format(key: str, value: Any) -> str:
    """What a client relies on in ``value``, the value of field ``key``."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        if key.endswith("At") or key == "updatedAt":
            return f"unix seconds ({len(str(value))} digits)"
        return "int"
    if isinstance(value, str):
        if key == "authToken":
            token = TOKEN.fullmatch(value)
            if token is None:
                return "opaque string"
            return f"token: uid, '_', 10-digit seconds, {len(token['rest'])} hex"
        if key in UID_KEYS:
            return "lower-case uid" if UID.fullmatch(value) else "other string"
        if key in ("avatar", "link"):
            return "url" if value.startswith(("https://", "http://")) else "other string"
        return "str"
    if value is None:
        return "null"
    return type(value).__name__


def conforms(actual: Any, example: Any, *, key: str = "", where: str = "answer") -> None:
    """Assert ``actual`` has ``example``'s fields, types and formats, recursively.

    Objects need the same field names. A list's every item is held to the example's items: the
    fields every example item has are required, and only fields some example item has are allowed.
    """
    if isinstance(example, Mapping):
        assert isinstance(actual, Mapping), f"{where}: an object expected, got {actual!r}"
        if key in FREE_FORM:
            return
        assert set(actual) == set(example), (
            f"{where}: fields {sorted(actual)} differ from the example's {sorted(example)}"
        )
        for name, value in example.items():
            conforms(actual[name], value, key=name, where=f"{where}.{name}")
        _token_of_its_user(actual, where)
        return
    if isinstance(example, Sequence) and not isinstance(example, str):
        assert isinstance(actual, list), f"{where}: a list expected, got {actual!r}"
        for index, item in enumerate(actual):
            _item_conforms(item, example, key=key, where=f"{where}[{index}]")
        return
    assert value_format(key, actual) == value_format(key, example), (
        f"{where}: {actual!r} is a {value_format(key, actual)}, "
        f"the example's {example!r} a {value_format(key, example)}"
    )


def _item_conforms(item: Any, examples: Sequence[Any], *, key: str, where: str) -> None:
    assert examples, f"{where}: the example list is empty, nothing to hold items to"
    if not all(isinstance(example, Mapping) for example in examples):
        conforms(item, examples[0], key=key, where=where)
        return
    assert isinstance(item, Mapping), f"{where}: an object expected, got {item!r}"
    required = set.intersection(*(set(example) for example in examples))
    allowed = set.union(*(set(example) for example in examples))
    assert required <= set(item), f"{where}: missing {sorted(required - set(item))}"
    assert set(item) <= allowed, f"{where}: fields no example has: {sorted(set(item) - allowed)}"
    for name, value in item.items():
        for example in examples:  # every example item that has the field, so all of them count
            if name in example:
                conforms(value, example[name], key=name, where=f"{where}.{name}")
    _token_of_its_user(item, where)


def _token_of_its_user(item: Mapping[str, Any], where: str) -> None:
    token = TOKEN.fullmatch(str(item.get("authToken", "")))
    if token is not None and "uid" in item:
        assert token["uid"] == item["uid"], f"{where}: the token does not start with its uid"
