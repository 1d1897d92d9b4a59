"""The audit chain's head anchor: the newest entry's id and hash, kept outside the table.

After every commit that appended audit entries the anchor file (AUDIT_ANCHOR_PATH) is moved forward, so
that deleting the newest entries, which leaves an intact shorter chain, is still detected by
`flask audit verify`. The file never moves backwards (workers may commit out of order); it can be copied
elsewhere and given back as `audit verify --anchor ID:HASH`.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from core.audit import HEAD_INFO_KEY

log = logging.getLogger(__name__)
ANCHOR_PATTERN = re.compile(r"^\s*(\d+):([0-9a-f]{64})\s*$")


def parse_anchor(value: str) -> tuple[int, str] | None:
    """`ID:HASH` as (id, hash), or None when malformed."""
    match = ANCHOR_PATTERN.match(value or "")
    return (int(match.group(1)), match.group(2)) if match else None


def format_anchor(entry_id: int, entry_hash: str) -> str:
    return f"{entry_id}:{entry_hash}"


def read_anchor(path: str | os.PathLike) -> tuple[int, str] | None:
    """The anchor on file, or None when there is none (or it is unreadable)."""
    try:
        return parse_anchor(Path(path).read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError):
        return None


def advance_anchor(path: str | os.PathLike, entry_id: int, entry_hash: str, *, replace: bool = False) -> None:
    """Write the anchor unless the file already names a later entry (under an exclusive file lock);
    `replace` overwrites it whatever it names (the migration that re-chained the log)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = read_anchor(path)
        if current is not None and current[0] >= entry_id and not replace:
            return
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(format_anchor(entry_id, entry_hash) + "\n", encoding="ascii")
        os.replace(tmp, path)


@event.listens_for(Session, "after_commit")
def _write_anchor_after_commit(session: Session) -> None:
    head = session.info.pop(HEAD_INFO_KEY, None)
    if head is not None:
        try:
            advance_anchor(*head)
        except OSError:  # the commit stands; `audit verify` will report the stale anchor
            log.exception("could not write the audit anchor to %s", head[0])


@event.listens_for(Session, "after_rollback")
def _forget_head_after_rollback(session: Session) -> None:
    session.info.pop(HEAD_INFO_KEY, None)
