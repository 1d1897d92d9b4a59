"""Domain errors raised by services and turned into messages, 403 or 409 by routes."""

from __future__ import annotations

from core.i18n import _


class DomainError(Exception):
    """A business rule refused the change; `message` is translated and safe to show."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or "invalid"


class NotAllowed(DomainError):
    """The actor may not do this."""

    status_code = 403

    def __init__(self, message: str = "", **kwargs) -> None:
        super().__init__(message or _("您没有执行此操作的权限。"), code="forbidden", **kwargs)


class InvalidTransition(DomainError):
    """A state machine refused a transition."""

    status_code = 409

    def __init__(self, message: str, **kwargs) -> None:
        super().__init__(message, code="invalid_transition", **kwargs)


class NotFound(DomainError):
    """The object does not exist (or the actor may not know it exists)."""

    status_code = 404

    def __init__(self, message: str, **kwargs) -> None:
        super().__init__(message, code="not_found", **kwargs)


class EditConflict(DomainError):
    """Someone else changed the record since the actor loaded it (optimistic locking)."""

    status_code = 409

    def __init__(self, message: str = "", **kwargs) -> None:
        super().__init__(message or _("该记录已被他人修改，请刷新页面后重试。"), code="edit_conflict", **kwargs)
