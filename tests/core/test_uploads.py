import io

import pytest
from werkzeug.datastructures import FileStorage

from core.db import db
from core.errors import DomainError
from core.uploads import discard_upload, save_upload, send_upload, upload_dir, upload_exists

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"


def _file(data: bytes, name: str = "scan.pdf") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name)


def _stored_files():
    return sorted(p.name for p in upload_dir().iterdir())


@pytest.mark.parametrize(("data", "ext"), [(PDF, ".pdf"), (b"\x89PNG\r\n\x1a\n" + b"0" * 20, ".png"),
                                           (b"\xff\xd8\xff\xe0" + b"0" * 20, ".jpg")])
def test_accepted_formats_are_stored_under_random_names(app, data, ext):
    with app.test_request_context():
        name = save_upload(_file(data, "我的 证书.exe"), kind="certificate")
        db.session.commit()
        assert name.startswith("certificate-") and name.endswith(ext)
        assert "我的" not in name and upload_exists(name)
        assert (upload_dir() / name).read_bytes() == data


def test_php_file_renamed_pdf_is_refused_and_nothing_stored(app):
    with app.test_request_context():
        before = _stored_files()
        with pytest.raises(DomainError) as exc:
            save_upload(_file(b"<?php system($_GET['c']); ?>", "licence.pdf"), kind="licence", field="licence")
        assert exc.value.field == "licence"
        assert "PDF" in exc.value.message
        assert _stored_files() == before


def test_file_over_ten_megabytes_is_refused_and_nothing_stored(app):
    with app.test_request_context():
        before = _stored_files()
        with pytest.raises(DomainError) as exc:
            save_upload(_file(PDF + b"0" * (10 * 1024 * 1024)), kind="licence")
        assert "10 MB" in exc.value.message
        assert _stored_files() == before


def test_exactly_ten_megabytes_is_accepted(app):
    with app.test_request_context():
        data = PDF + b"0" * (10 * 1024 * 1024 - len(PDF))
        name = save_upload(_file(data), kind="licence")
        db.session.commit()
        assert upload_exists(name)


def test_empty_selection_is_a_clear_error(app):
    with app.test_request_context(), pytest.raises(DomainError):
        save_upload(FileStorage(io.BytesIO(b""), filename=""), kind="licence")


def test_send_upload_is_an_attachment_with_nosniff(app):
    with app.test_request_context():
        name = save_upload(_file(PDF), kind="licence")
        db.session.commit()
        response = send_upload(name, "营业执照")
        assert response.mimetype == "application/pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"].startswith("attachment")
        response.close()


@pytest.mark.parametrize("name", ["../../etc/passwd", "licence-abc.pdf", None, "licence-" + "0" * 32 + ".pdf"])
def test_send_upload_refuses_unknown_or_malformed_names(app, name):
    with app.test_request_context(), pytest.raises(DomainError):
        send_upload(name, "x")


def test_saved_file_appears_only_when_the_transaction_commits(app):
    with app.test_request_context():
        before = _stored_files()
        name = save_upload(_file(PDF), kind="licence")
        assert not upload_exists(name)
        db.session.commit()
        assert upload_exists(name)
        assert _stored_files() == sorted([*before, name])


@pytest.mark.parametrize("end", ["rollback", "close"])
def test_saved_file_is_deleted_when_the_transaction_does_not_commit(app, end):
    with app.test_request_context():
        before = _stored_files()
        name = save_upload(_file(PDF), kind="licence")
        getattr(db.session, end)()
        db.session.commit()
        assert not upload_exists(name)
        assert _stored_files() == before


def test_discarded_file_is_deleted_after_commit_and_kept_on_rollback(app):
    with app.test_request_context():
        name = save_upload(_file(PDF), kind="licence")
        db.session.commit()
        discard_upload(name)
        db.session.rollback()
        assert upload_exists(name)
        discard_upload(name)
        db.session.commit()
        assert not upload_exists(name)
