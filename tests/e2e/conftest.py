"""Session fixtures for the browser tests: the site built into a temporary folder and
served on 127.0.0.1, and Debian's Chromium (see harness.py). tests/parity/conftest.py
re-exports these fixtures, so one session builds and serves the site once."""
import importlib.util
import sys
from pathlib import Path

import pytest


def _load_harness():
    name = "mnist_draw_harness"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("harness.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


harness = _load_harness()


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: end-to-end test of the built site in Chromium")
    config.addinivalue_line("markers", "parity: pycore inside Pyodide against CPython")


def pytest_sessionfinish(session, exitstatus):
    harness.shutdown()


@pytest.fixture(scope="session")
def site():
    """The site built from this checkout (runtime from the user cache) and served."""
    return harness.shared_site()


@pytest.fixture(scope="session")
def browser():
    return harness.shared_browser()


@pytest.fixture
def context(browser, site):
    """A fresh profile with service workers blocked, so routes and fresh loads are seen."""
    ctx = browser.new_context(service_workers="block", viewport={"width": 1000, "height": 900})
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    """A new page in a fresh profile, recording requests and errors (harness.record)."""
    return harness.record(context.new_page())


@pytest.fixture(scope="session")
def app_session(browser, site):
    """The session's one ready page (started once: Python start-up is the slow part)."""
    return harness.shared_page()


@pytest.fixture
def ready_page(app_session):
    """The session's ready page with the drawing cleared."""
    app_session.click("#clear")
    return app_session
