"""Fixtures shared by the whole suite.

`live_app` runs the real product (daphne + the ASGI app) in a subprocess against the
test database, so browser tests and the official fal clients talk to exactly what users
run. Tests using it need `transactional_db` so their rows are visible to the server.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings

from playground.lib import liveserver

EMULATOR_KEY = "local:test"
# TEST_STORAGE=s3 runs the suite with media in a bucket of a local S3-compatible server
# (moto, started here) instead of on local disk; product subprocesses inherit STORAGE_URL.
TEST_STORAGE = os.environ.get("TEST_STORAGE", "local")
TEST_BUCKET = "playground-test"
_object_server = None


def pytest_configure(config: pytest.Config) -> None:
    if TEST_STORAGE == "s3":
        _start_object_store()
    # Tests never need hashed static names; the live server runs collectstatic itself.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.LOCALFAL_SPEED = 0.01
    # Tests inject faults by header and count what the emulator ran; production does neither.
    # The emulator key of the suite: the test process and every live server share it
    # (liveserver passes it on), and the official clients in contract tests send it.
    settings.LOCALFAL_KEY = EMULATOR_KEY
    settings.LOCALFAL_FAULTS_ALLOWED = True
    settings.LOCALFAL_INSPECT = True
    # Gateway follow-ups are written at once, so a test reads them right after its calls.
    settings.GATEWAY_LOG_FLUSH_SECONDS = 0
    settings.GATEWAY_CACHE_SECONDS = 0
    settings.PRICE_CACHE_SECONDS = 0
    # Many tests run far more than 100 things a minute; rate-limit tests turn limits on
    # (`rate_limits` fixture, tests/limits/).
    settings.RATE_LIMITS_ENABLED = False
    # Tests start runners themselves; the live server (a real daphne) embeds its own.
    settings.RUNNER_EMBEDDED = False
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    # Fast hashing for the many users tests create; PBKDF2 stays accepted so a user made
    # with `live_user` can log in to the live server (which uses the real settings).
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("postgresql"):
        options = database.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} {POSTGRES_TEST_OPTIONS}".strip()


def _start_object_store() -> None:
    import tempfile

    from playground.storage import localserver
    from playground.storage.config import default_storage_from_env

    global _object_server
    log_path = Path(tempfile.mkdtemp(prefix="moto-")) / "moto.log"
    _object_server = localserver.start(log_path)
    os.environ.update(localserver.CREDENTIALS)
    _object_server.create_bucket(TEST_BUCKET)
    os.environ["STORAGE_URL"] = _object_server.storage_url(TEST_BUCKET)
    settings.STORAGES = {**settings.STORAGES, "default": default_storage_from_env(os.environ)}


@pytest.fixture(scope="session")
def object_store(tmp_path_factory):
    """A local S3-compatible server: the suite's own with TEST_STORAGE=s3, else one started
    for the tests that need a bucket whatever the suite runs on (and stopped after them).
    `object_store.create_bucket(name)` makes a bucket, `.storage_url(name)` names it."""
    from playground.storage import localserver

    if _object_server is not None:
        yield _object_server
        return
    os.environ.update(localserver.CREDENTIALS)  # boto3 in this process signs with these
    server = localserver.start(tmp_path_factory.mktemp("moto") / "moto.log")
    yield server
    server.stop()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _object_server is not None:
        _object_server.stop()
    if _collected_static is not None:
        import shutil

        shutil.rmtree(_collected_static.parent, ignore_errors=True)


@pytest.fixture
def alice(django_user_model):
    """The owner in access tests (STYLE.md: alice owns, bob is on her team, charlie is not)."""
    return django_user_model.objects.create_user("alice", password="pw-alice-12345")


@pytest.fixture
def charlie(django_user_model):
    return django_user_model.objects.create_user("charlie", password="pw-charlie-12345")


@pytest.fixture
def team(alice):
    """Alice's team, "Studio"; she is its only owner."""
    from playground.accounts.models import Membership, Role, Team

    studio = Team.objects.create(name="Studio", slug="studio")
    Membership.objects.create(user=alice, team=studio, role=Role.OWNER)
    return studio


@pytest.fixture
def bob(django_user_model, team):
    """On alice's team as a member."""
    from playground.accounts.models import Membership, Role

    user = django_user_model.objects.create_user("bob", password="pw-bob-12345")
    Membership.objects.create(user=user, team=team, role=Role.MEMBER)
    return user


@pytest.fixture
def rate_limits(settings):
    """Rate limits on (the suite runs with them off), small enough to reach: anonymous 1,
    signed in 2, pro 5 a minute; counts and remembered quotas empty."""
    from playground.lib.memo import forget_everything
    from playground.limits import counter

    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMIT_ANONYMOUS = 1
    settings.RATE_LIMIT_SIGNED_IN = 2
    settings.RATE_LIMIT_PRO = 5
    forget_everything()
    counter.reset()
    yield settings
    counter.reset()
    forget_everything()


@pytest.fixture
def client_alice(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def live_user(django_user_model):
    """Make a user who can log in to the live server (its hashers are the real ones)."""
    from django.contrib.auth.hashers import make_password

    def make(username: str, password: str):
        user = django_user_model.objects.create(username=username)
        user.password = make_password(password, hasher="pbkdf2_sha256")
        user.save(update_fields=["password"])
        return user

    return make


@pytest.fixture
def no_decoding(monkeypatch):
    """Pillow's pixel decoding fails the test if anything gets that far (pictures past
    IMAGE_MAX_PIXELS must be refused from their header alone)."""
    from PIL import ImageFile

    def load(self):
        raise AssertionError("the picture was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    """Every test starts with no media: a folder of its own on disk, or a prefix of its own
    in the test bucket (TEST_STORAGE=s3)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    default = settings.STORAGES["default"]
    if "OPTIONS" in default:
        import uuid

        options = {**default["OPTIONS"], "location": f"tests/{uuid.uuid4().hex}"}
        settings.STORAGES = {**settings.STORAGES, "default": {**default, "OPTIONS": options}}


@pytest.fixture(scope="session", autouse=True)
def _close_connections_of_async_tests(django_db_setup, django_db_blocker):
    """Async tests reach the ORM through asgiref's shared worker thread, whose connection
    would outlive the session and keep Postgres from dropping the test database."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    from playground.jobs import panel

    with django_db_blocker.unblock():
        SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=10)
        if panel._pool is not None and not panel._pool.closed:
            panel._pool.close()


@pytest.fixture(scope="session", autouse=True)
def _catalog_copied_back_after_a_flush(request, django_db_setup, django_db_blocker):
    """Every transactional test ends with a flush, whose post_migrate signal imports the
    bundled catalog again (parsing and vetting each document: most of the flush's time).
    The test database got that import when it was made; after a flush the same rows are
    copied back instead. Tests of the import call it themselves."""
    from django.apps import apps
    from django.db.models.signals import post_migrate

    from playground.catalog.importer import load_bundled_after_migrate
    from playground.catalog.models import Endpoint

    if not _any_test_uses_the_database(request.session.items):
        # pytest-django makes no test database then: nothing is flushed, and reading here
        # would reach the development database (a fresh clone has none).
        yield
        return
    with django_db_blocker.unblock():
        rows = list(Endpoint.objects.order_by("pk").values())
    assert rows, "the test database has no bundled catalog to copy back"
    for row in rows:
        del row["id"]

    def copy_back(sender, using: str = "default", **kwargs) -> None:
        Endpoint.objects.using(using).bulk_create(Endpoint(**row) for row in rows)

    catalog = apps.get_app_config("catalog")
    assert post_migrate.disconnect(load_bundled_after_migrate, sender=catalog)
    post_migrate.connect(copy_back, sender=catalog, weak=False)
    yield
    post_migrate.disconnect(copy_back, sender=catalog)
    post_migrate.connect(load_bundled_after_migrate, sender=catalog)


def _any_test_uses_the_database(items: list[pytest.Item]) -> bool:
    """As pytest-django decides whether to make a test database: a `django_db` mark or a
    database fixture, directly or through another fixture."""
    database_fixtures = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}
    return any(
        item.get_closest_marker("django_db") is not None
        or database_fixtures & set(getattr(item, "fixturenames", ()))
        for item in items
    )


# Commits of the test database do not wait for the disk: a test never outlives a crash of
# Postgres, and the flush after every transactional test commits (a client-side setting;
# the server's own configuration is left alone).
POSTGRES_TEST_OPTIONS = "-c synchronous_commit=off"


def database_url_for_tests(application_name: str = "") -> str:
    """The test database as a DATABASE_URL for a product process. On Postgres its sessions
    carry `application_name`, so the suite can wait for exactly those to end."""
    from django.db import connection

    conf = connection.settings_dict
    if conf["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{conf['NAME']}"
    user = conf.get("USER") or ""
    host = conf.get("HOST") or "127.0.0.1"
    port = conf.get("PORT") or 5432
    query = {"options": POSTGRES_TEST_OPTIONS}
    if application_name:
        query["application_name"] = application_name
    return f"postgres://{user}@{host}:{port}/{conf['NAME']}?{urlencode(query)}"


# What tests need of an emulator that production does not allow (DEBUG is off in live servers).
TEST_EMULATOR_ENV = {
    "LOCALFAL_FAULTS_ALLOWED": "1",
    "LOCALFAL_INSPECT": "1",
    "GATEWAY_LOG_FLUSH_SECONDS": "0",
    "GATEWAY_CACHE_SECONDS": "0",
    "RATE_LIMITS_ENABLED": "0",
}


_collected_static: Path | None = None


def _static_files() -> Path:
    """Static files collected once per session and shared by every live server (removed
    in `pytest_unconfigure`)."""
    import tempfile

    global _collected_static
    if _collected_static is None:
        _collected_static = liveserver.collect_static(Path(tempfile.mkdtemp(prefix="static-")))
    return _collected_static


@contextlib.contextmanager
def _live_server(django_db_blocker, data_dir: Path, **env: str):
    """The product in a subprocess on the test database; stopped, and its database
    sessions gone, before the database is torn down. Its emulator takes fault headers and
    lists its requests, as tests need (`TEST_EMULATOR_ENV`), unless `env` says otherwise."""
    env = {**TEST_EMULATOR_ENV, **env}
    if _object_server is not None:
        from tests.support import live_location

        prefix = live_location(data_dir)
        env.setdefault("STORAGE_URL", _object_server.storage_url(TEST_BUCKET, prefix))
    # Unique per server (mktemp numbers the folders): other servers keep their sessions.
    application_name = f"test-{data_dir.name}"
    with django_db_blocker.unblock():
        db_url = database_url_for_tests(application_name)
    static = _static_files()
    server = liveserver.start(data_dir, database_url=db_url, static_from=static, **env)
    try:
        yield server
    finally:
        server.stop()
        with django_db_blocker.unblock():
            _wait_for_sessions_to_close(application_name)


@pytest.fixture(scope="session")
def live_app(django_db_setup, django_db_blocker, tmp_path_factory) -> liveserver.LiveServer:
    # No embedded runner: tests that run generations start their own, and two runners
    # racing for the same rows would make them flaky.
    data_dir = tmp_path_factory.mktemp("live-data")
    with _live_server(
        django_db_blocker, data_dir, LOCALFAL_SPEED="0.01", RUNNER_EMBEDDED="0"
    ) as server:
        yield server


@pytest.fixture(scope="module")
def live_app_with_runner(django_db_setup, django_db_blocker, tmp_path_factory):
    """The live server with its embedded runner, as `make run` serves it (browser tests
    that press Run). One per module, stopped after it, so no runner outlives its tests.
    Its emulator has one runner at real-ish speed, so queue positions can be watched."""
    with server_with_runner(django_db_blocker, tmp_path_factory) as server:
        yield server


@contextlib.contextmanager
def server_with_runner(django_db_blocker, tmp_path_factory, **env: str):
    """`live_app_with_runner`'s server; `env` changes its emulator (a module that needs
    more runners at once defines its own `live_app_with_runner` with this)."""
    data_dir = tmp_path_factory.mktemp("live-runner")
    env = {
        "LOCALFAL_SPEED": "1",
        "LOCALFAL_RUNNERS": "1",
        "RUNNER_EMBEDDED": "1",
        "RUNNER_STATUS_POLL_SECONDS": "0.1",
        "LOG_LEVEL": "INFO",  # the runner's steps, for the log shown when a test fails
        **env,
    }
    with _live_server(django_db_blocker, data_dir, name="server-with-runner", **env) as server:
        yield server


# The product as production runs it: DEBUG off, no LOCALFAL_URL (the server finds its own
# emulator on whatever port it is given), none of the test-only emulator switches.
PRODUCTION_ENV = {
    "DEBUG": "0",
    "LOCALFAL_SPEED": "0.01",
    "LOCALFAL_FAULTS_ALLOWED": "0",
    "LOCALFAL_INSPECT": "0",
}


@pytest.fixture(scope="module")
def production_app(django_db_setup, django_db_blocker, tmp_path_factory):
    """A production-like server with its embedded runner (the default), as `daphne` alone
    serves it; one per module, so its runner claims no other module's generations."""
    data_dir = tmp_path_factory.mktemp("production")
    env = {**PRODUCTION_ENV, "RUNNER_EMBEDDED": "1"}
    with _live_server(django_db_blocker, data_dir, name="production", **env) as server:
        yield server


def _wait_for_sessions_to_close(application_name: str, timeout: float = 10.0) -> None:
    """Postgres refuses to drop the test database while a stopped server's sessions linger.
    Only that server's: the session-wide servers keep theirs open until the end, and
    waiting for those too would always run out the timeout."""
    import time

    from django.db import connection

    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = %s",
                [application_name],
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Every page of every browser context reports Content-Security-Policy violations here (the
# browser's `securitypolicyviolation` events, and its "Refused to ..." console errors).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation(`${event.effectiveDirective} refused ${event.blockedURI || "inline"}`
    + ` (${event.sourceFile || document.location.href}:${event.lineNumber}) ${event.sample}`);
}, true);
"""


class CspViolations(list):
    """What pages reported during one test; `_fail_on_csp_violations` asserts it stays empty."""

    def watch(self, context) -> None:
        context.expose_binding("__cspViolation", lambda source, text: self.append(text))
        context.add_init_script(CSP_LISTENER)
        context.on("console", self._console)

    def _console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.append(message.text)


CSP_VIOLATIONS = CspViolations()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser build). Every
    context it opens reports CSP violations to `CSP_VIOLATIONS`."""
    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the ORM calls that browser
    # tests make between page steps are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    # Assertions wait as long as actions (`page`'s default timeout), not Playwright's 5 s:
    # with both passes side by side, an upload to the bucket can take longer than that.
    expect.set_options(timeout=15_000)
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        new_context = instance.new_context

        def watched_context(*args, **kwargs):
            context = new_context(*args, **kwargs)
            CSP_VIOLATIONS.watch(context)
            return context

        instance.new_context = watched_context
        yield instance
        instance.close()


@pytest.fixture
def csp_violations() -> CspViolations:
    """The violations reported so far in this test (a test that provokes one clears it)."""
    return CSP_VIOLATIONS


@pytest.fixture(autouse=True)
def _fail_on_csp_violations(request):
    """A browser test fails when any page refused something under the CSP: the policy
    and the UI must agree (an inline handler or style attribute would break silently)."""
    if request.node.get_closest_marker("browser") is None:
        yield
        return
    CSP_VIOLATIONS.clear()
    yield
    found = list(CSP_VIOLATIONS)
    CSP_VIOLATIONS.clear()
    assert not found, "Content-Security-Policy violations:\n" + "\n".join(found)


@pytest.fixture
def page(browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    if not page.is_closed():
        # A round trip, so violation reports already sent are delivered before the check.
        with contextlib.suppress(Exception):
            page.evaluate("0")
    context.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop on the main
    thread for the rest of the session, which async tests cannot share."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """A failed test that used a live server or a page says what they were doing: the end
    of each server's log and the page's address and run panel, so a failure seen once in
    CI can be understood without running it again."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for name, value in getattr(item, "funcargs", {}).items():
        for section, text in _failure_context(name, value):
            report.sections.append((section, text))


def _failure_context(name: str, value) -> list[tuple[str, str]]:
    found = []
    for server in value if isinstance(value, tuple) else (value,):
        if isinstance(server, liveserver.LiveServer):
            # Without the access lines of the emulator's endpoints (the runner polls them).
            lines = [line for line in server.log().splitlines() if "/localfal/" not in line]
            found.append((f"{name}: end of server log", "\n".join(lines[-80:])))
    if name == "page":
        with contextlib.suppress(Exception):
            panel = value.locator("#run-panel")
            summary = value.url
            if panel.count():
                summary += "\n" + panel.inner_text(timeout=2_000)[:3000]
            found.append(("page: address and run panel", summary))
    return found
