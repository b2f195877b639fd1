"""Rows of a user export (CSV or JSON Lines), read one at a time and checked one by one.

Columns: ``email``, ``name``, ``avatar``, ``verified``, ``password_hash`` and, for Firebase's
scrypt, ``password_salt``. Other columns are ignored. Each row keeps its line number, so a
rejected one can be found in the file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from cometchat_auth.accounts.emails import email_key
from cometchat_auth.accounts.passwords import FirebaseScryptParams, scheme, unusable_hash
from cometchat_auth.api.schemas import AvatarUrl, Email, Name

Format = Literal["csv", "jsonl"]
#: The column holding the hash; the longest hash stored (Firebase's, with its parameters) fits.
HASH_MAX = 255


class Row(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: Email
    name: Name | None = None
    avatar: AvatarUrl | None = None
    verified: bool = False
    password_hash: str | None = None
    password_salt: str | None = None

    @field_validator("name", "avatar", "password_hash", "password_salt", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("verified", mode="before")
    @classmethod
    def _blank_is_false(cls, value: Any) -> Any:
        return False if value in ("", None) else value


@dataclass(frozen=True, slots=True)
class NewUser:
    line: int
    email: str
    email_key: str
    name: str
    avatar: str | None
    verified: bool
    #: The stored hash: an imported one, or an unusable one (the account must reset).
    password_hash: str
    must_reset: bool


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int
    reason: str


def format_of(path: Path) -> Format:
    return "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv"


def records(file: IO[str], format: Format) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """``(line, fields)`` for each record, or ``(line, why)`` for one that cannot be read."""
    if format == "csv":
        reader = csv.DictReader(file)
        for fields in reader:
            yield reader.line_num, fields
        return
    for number, line in enumerate(file, 1):
        if not line.strip():
            continue
        try:
            fields = json.loads(line)
        except ValueError:
            yield number, "not valid JSON"
            continue
        yield (number, fields) if isinstance(fields, dict) else (number, "not a JSON object")


def check(
    line: int, fields: dict[str, Any], firebase: FirebaseScryptParams | None
) -> NewUser | Rejected:
    """The row as an account to create, or why not."""
    try:
        row = Row.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return Rejected(line, f"{where}: {first['msg']}")  # never the value: it may be a hash
    encoded = row.password_hash
    if encoded is not None and row.password_salt is not None:
        if firebase is None:
            return Rejected(line, "a salted hash needs the --firebase-* project parameters")
        encoded = firebase.encode(encoded, row.password_salt)
    if encoded is not None and (len(encoded) > HASH_MAX or scheme(encoded) is None):
        return Rejected(line, "password_hash: not a bcrypt, argon2, scrypt or Firebase scrypt hash")
    return NewUser(
        line=line,
        email=row.email,
        email_key=email_key(row.email),
        name=row.name or row.email.split("@", 1)[0][:100],
        avatar=row.avatar,
        verified=row.verified,
        password_hash=encoded or unusable_hash(),
        must_reset=encoded is None,
    )
