"""The composition root: create_app() wires configuration, extensions and every domain package."""

from __future__ import annotations

import click
from flask import Flask

# Every package's models are imported here so that the metadata is complete.
import catalog.models  # noqa: F401
import complaints.models  # noqa: F401
import core.audit  # noqa: F401
import core.audit_anchor  # noqa: F401 - moves the audit head anchor after each commit
import core.notifications  # noqa: F401
import devices.models  # noqa: F401
import market.search.models  # noqa: F401
import orders.models  # noqa: F401
import payments.models  # noqa: F401
import registry.districts.household_claims  # noqa: F401
import registry.districts.models  # noqa: F401
import registry.lists.models  # noqa: F401
import reports.models  # noqa: F401 - the report rollup and the indexes its queries use
import suppliers.keys  # noqa: F401
import suppliers.models  # noqa: F401
from catalog import cli as catalog_cli
from catalog import demo as catalog_demo
from catalog.api import bp as catalog_api_bp
from catalog.routes import bp as catalog_bp
from complaints import demo as complaints_demo
from complaints.cli import complaints_cli
from complaints.routes import bp as complaints_bp
from core import cli as core_cli
from core import demo as core_demo
from core.accounts import services as account_services
from core.accounts.admin_routes import bp as admin_bp
from core.accounts.routes import bp as accounts_bp
from core.config import PROJECT_ROOT, load_config
from core.db import db
from core.extensions import babel, bootstrap, csrf, limiter, login_manager, migrate
from core.i18n import _l, select_locale
from core.routes import bp as main_bp
from core.web import configure_converters, configure_errors, configure_security_headers, configure_templates
from devices import demo as devices_demo
from devices import wiring as devices_wiring
from devices.api import bp as devices_api_bp
from devices.cli import devices_cli, keys_cli
from devices.key_routes import bp as device_keys_bp
from devices.routes import bp as devices_bp
from market import wiring as market_wiring
from market.api import bp as market_api_bp
from market.routes import bp as market_bp
from market.search.cli import search_cli
from orders import demo as orders_demo
from orders import payment_events
from orders.advisor_routes import bp as advisor_bp
from orders.cli import orders_cli
from orders.fulfilment_routes import bp as fulfilment_bp
from orders.routes import bp as orders_bp
from payments.routes import bp as payments_bp
from payments.setup import configure_payments
from registry import cli as registry_cli
from registry import demo as registry_demo
from registry import home as registry_home
from registry import listeners
from registry.districts import household_demo
from registry.lists.api import bp as registry_api_bp
from registry.routes import bp as registry_bp
from reports import wiring as reports_wiring
from reports.api import bp as reports_api_bp
from reports.cli import report_cli
from reports.routes import bp as reports_bp
from suppliers import demo as suppliers_demo
from suppliers.routes import bp as suppliers_bp

#: Demo data, lowest layer first; each step is idempotent.
DEMO_STEPS = (core_demo.seed, suppliers_demo.seed, catalog_demo.seed, registry_demo.seed,
              household_demo.seed, orders_demo.seed, devices_demo.seed, complaints_demo.seed)


def create_app(config: dict | None = None) -> Flask:
    """Build the application; `config` overrides the environment (tests)."""
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"),
                template_folder=str(PROJECT_ROOT / "templates"), static_folder=str(PROJECT_ROOT / "static"))
    app.config.update(load_config(config))
    configure_extensions(app)
    connect_packages()
    configure_converters(app)
    configure_blueprints(app)
    configure_errors(app)
    configure_security_headers(app)
    configure_templates(app)
    configure_cli(app)
    configure_payments(app)  # production: checks the provider settings; else the stub under /_stripe
    return app


def configure_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("请先登录。")
    login_manager.login_message_category = "warning"

    # Sessions and remember-me cookies carry "<id>:<session token>"; an ended session loads no one.
    login_manager.user_loader(account_services.load_session_user)


def connect_packages() -> None:
    """Connect the packages: higher layers listen to the signals of lower ones."""
    listeners.connect()  # registry reacts to catalog signals (invalid products leave lists)
    market_wiring.connect()  # the search index follows products and listings (outbox applied after commit)
    registry_home.register()  # published districts and the latest announcements on the home page
    payment_events.connect()  # orders become paid / refunded from the provider's verified events
    devices_wiring.connect()  # the device API's operations join the OpenAPI document (the access standard)
    reports_wiring.connect()  # the public coverage API joins the OpenAPI document


def configure_blueprints(app: Flask) -> None:
    pages = (main_bp, accounts_bp, admin_bp, suppliers_bp, catalog_bp, market_bp, registry_bp,
             devices_bp, device_keys_bp, orders_bp, advisor_bp, complaints_bp, reports_bp, payments_bp)
    for blueprint in pages:
        app.register_blueprint(blueprint)
    app.register_blueprint(fulfilment_bp)  # orders: the supplier's queue and the inspector's checks
    for api in (catalog_api_bp, market_api_bp, registry_api_bp, devices_api_bp, reports_api_bp):
        # the open API is read-only or stateless (validate); the device API is authorised by a bearer key,
        # never by cookies: no CSRF token applies to either
        csrf.exempt(api)
        app.register_blueprint(api)


def configure_cli(app: Flask) -> None:
    app.cli.add_command(core_cli.users_cli)
    app.cli.add_command(core_cli.audit_cli)
    app.cli.add_command(catalog_cli.catalog_cli)
    app.cli.add_command(registry_cli.registry_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(orders_cli)
    app.cli.add_command(complaints_cli)
    app.cli.add_command(devices_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(report_cli)

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only when the database has no accounts yet.")
    def seed_demo_command(if_empty: bool):
        """Load idempotent demo data (refused with the production configuration)."""
        if app.config["ENV_NAME"] == "production":
            raise click.ClickException("seed-demo refuses to run with the production configuration")
        if if_empty and core_demo.has_accounts():
            click.echo("skipped")
            return
        for step in DEMO_STEPS:
            step()
            db.session.commit()
        click.echo("demo data loaded")
        for line in devices_demo.key_lines():  # the demo platform keys (development only)
            click.echo(line)
