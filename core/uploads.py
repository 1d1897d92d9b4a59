"""Uploaded documents (licences, certificates, authorisations): checked by content, stored under random names.

Files live in UPLOAD_DIR, outside static/, and are only ever served by `send_upload` as downloads after a
route has checked the viewer's permission. A saved file stays under a hidden temporary name until the database
transaction that records it commits (then it is moved into place); a transaction that rolls back or ends
without a commit deletes it. Files replaced by a new upload are deleted after the commit (`discard_upload`).
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from pathlib import Path

from flask import current_app, send_file
from sqlalchemy import event
from sqlalchemy.orm import Session

from core.db import db
from core.errors import DomainError, NotFound
from core.i18n import _

#: (magic bytes, extension, content type) of the accepted formats.
FORMATS = (
    (b"%PDF-", ".pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", ".png", "image/png"),
    (b"\xff\xd8\xff", ".jpg", "image/jpeg"),
)
CONTENT_TYPES = {ext: ctype for _magic, ext, ctype in FORMATS}
_KIND = re.compile(r"^[a-z][a-z_]{0,30}$")
_NAME = re.compile(r"^[a-z][a-z_]{0,30}-[0-9a-f]{32}\.(pdf|png|jpg)$")
_CHUNK = 64 * 1024
#: session.info keys: files waiting for the commit (temporary path, final path), files to delete after it.
_PENDING = "uploads_pending"
_DISCARD = "uploads_discard"


def upload_dir() -> Path:
    """The folder holding uploads (created on first use)."""
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def detect(head: bytes) -> tuple[str, str] | None:
    """(extension, content type) for the first bytes of a file, or None when it is not PDF, PNG or JPEG."""
    for magic, ext, ctype in FORMATS:
        if head.startswith(magic):
            return ext, ctype
    return None


def save_upload(file_storage, *, kind: str, field: str | None = None) -> str:
    """Check and store an uploaded file; returns its stored name. Nothing is stored when it is refused."""
    if not _KIND.match(kind):
        raise ValueError(f"bad upload kind {kind!r}")
    if file_storage is None or not getattr(file_storage, "filename", None):
        raise DomainError(_("请选择要上传的文件。"), field=field, code="upload_missing")
    limit = int(current_app.config.get("UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
    stream = file_storage.stream
    head = stream.read(16)
    found = detect(head)
    if found is None:
        raise DomainError(_("只能上传 PDF、PNG 或 JPEG 文件（按文件内容检查，不看文件名）。"), field=field,
                          code="upload_type")
    ext, _ctype = found
    folder = upload_dir()
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".part-")
    total = len(head)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(head)
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise DomainError(_("文件超过 %(mb)s MB 上限，请压缩后重新上传。", mb=limit // (1024 * 1024)),
                                      field=field, code="upload_too_large")
                out.write(chunk)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    name = f"{kind}-{secrets.token_hex(16)}{ext}"
    session = db.session()
    if not session.in_transaction():
        session.begin()
    session.info.setdefault(_PENDING, []).append((tmp_name, str(folder / name)))
    return name


def discard_upload(name: str | None) -> None:
    """Delete the stored file `name` once the current transaction commits (kept when it rolls back)."""
    if name and _NAME.match(name):
        db.session().info.setdefault(_DISCARD, []).append(str(upload_dir() / name))


@event.listens_for(Session, "after_commit")
def _finalise(session: Session) -> None:
    for tmp_name, final in session.info.pop(_PENDING, []):
        os.replace(tmp_name, final)
    for path in session.info.pop(_DISCARD, []):
        Path(path).unlink(missing_ok=True)


@event.listens_for(Session, "after_transaction_end")
def _clean_up(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return
    for tmp_name, _final in session.info.pop(_PENDING, []):
        Path(tmp_name).unlink(missing_ok=True)
    session.info.pop(_DISCARD, None)


def upload_exists(name: str | None) -> bool:
    """True when `name` is a well-formed stored name whose file exists."""
    return bool(name) and bool(_NAME.match(name)) and (upload_dir() / name).is_file()


def send_upload(name: str | None, download_name: str):
    """Serve a stored upload as an attachment with a safe content type (the route checks permission)."""
    if not upload_exists(name):
        raise NotFound(_("文件不存在或已被删除。"))
    ext = Path(name).suffix
    safe_download = re.sub(r"[\\/\r\n\"]", "_", download_name or "file")
    if not safe_download.lower().endswith(ext):
        safe_download += ext
    response = send_file(upload_dir() / name, mimetype=CONTENT_TYPES[ext], as_attachment=True,
                         download_name=safe_download, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
