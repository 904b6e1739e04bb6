"""How commands print: aligned text for people, one JSON document for scripts (`--json`)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value


def emit(data: Mapping[str, Any] | Sequence[Mapping[str, Any]], as_json: bool) -> None:
    if as_json:
        sys.stdout.write(orjson.dumps(_plain(data), option=orjson.OPT_INDENT_2).decode() + "\n")
    elif isinstance(data, Mapping):
        _emit_record(data)
    else:
        for record in data:
            _emit_record(record)
            sys.stdout.write("\n")


def _emit_record(record: Mapping[str, Any]) -> None:
    width = max((len(key) for key in record), default=0)
    for key, value in record.items():
        shown = _plain(value)
        if isinstance(shown, list):
            shown = " ".join(str(item) for item in shown) or "-"
        sys.stdout.write(f"{key.ljust(width)}  {'-' if shown is None else shown}\n")
