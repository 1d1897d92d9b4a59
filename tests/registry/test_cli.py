"""flask --app wsgi registry check: the section 4 check of every published list, re-run."""

from datetime import date, timedelta

from sqlalchemy import update

from catalog.models import Certificate


def test_check_reports_ok_then_an_expired_certificate(app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    ok = runner.invoke(args=["registry", "check", "--district", "500103"])
    assert ok.exit_code == 0, ok.output
    assert "500103" in ok.output and "OK" in ok.output
    db.session.execute(update(Certificate).values(valid_until=date.today() - timedelta(days=1)))
    db.session.commit()
    broken = runner.invoke(args=["registry", "check", "--district", "500103"])
    assert broken.exit_code == 1
    assert "[list.certificate_expired]" in broken.output


def test_check_refuses_unknown_district(app, db):
    result = app.test_cli_runner().invoke(args=["registry", "check", "--district", "999999"])
    assert result.exit_code != 0
    assert "unknown district" in result.output
