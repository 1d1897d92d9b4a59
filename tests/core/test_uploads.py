import io

import pytest
from werkzeug.datastructures import FileStorage

from core.errors import DomainError
from core.uploads import save_upload, send_upload, upload_dir, upload_exists

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
        assert upload_exists(save_upload(_file(data), kind="licence"))


def test_empty_selection_is_a_clear_error(app):
    with app.test_request_context(), pytest.raises(DomainError):
        save_upload(FileStorage(io.BytesIO(b""), filename=""), kind="licence")


def test_send_upload_is_an_attachment_with_nosniff(app):
    with app.test_request_context():
        name = save_upload(_file(PDF), kind="licence")
        response = send_upload(name, "营业执照")
        assert response.mimetype == "application/pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"].startswith("attachment")
        response.close()


@pytest.mark.parametrize("name", ["../../etc/passwd", "licence-abc.pdf", None, "licence-" + "0" * 32 + ".pdf"])
def test_send_upload_refuses_unknown_or_malformed_names(app, name):
    with app.test_request_context(), pytest.raises(DomainError):
        send_upload(name, "x")
