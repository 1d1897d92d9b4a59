"""One publication at a time per district: the lock taken before a new list version is computed.

Several workers may publish, remove a supplier or delist a product in the same district at once; each
computes the next version number from the current one. `lock_district_list` serialises them: it writes
the district's row (a no-op update), which on PostgreSQL takes the row lock until the transaction ends and
on SQLite takes the database write lock up front (`BEGIN IMMEDIATE` semantics), so everything read after
it is the latest committed state and no one else can publish in between. The unique constraint on
(district_id, number) stays the last guard: `version_conflict` is the error its loser is shown.
"""

from __future__ import annotations

from sqlalchemy import update

from core.db import db
from core.districts import District
from core.errors import DomainError
from core.i18n import _


class ListVersionConflict(DomainError):
    """Another official published a version of this district's list first."""

    status_code = 409

    def __init__(self, number: int | None = None) -> None:
        if number:
            message = _("另一位工作人员刚刚发布了目录清单第 %(number)s 版，请刷新页面、核对后重试。", number=number)
        else:
            message = _("另一位工作人员刚刚发布了新版本，请刷新页面、核对后重试。")
        super().__init__(message, code="list_version_conflict")
        self.number = number


def lock_district_list(district_id: int) -> None:
    """Hold the district's publication lock until the transaction ends (waits while another holds it)."""
    db.session.execute(update(District).where(District.id == district_id).values(name=District.name),
                       execution_options={"synchronize_session": False})
