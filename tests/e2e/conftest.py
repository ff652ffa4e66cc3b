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
    """A fresh profile with service workers blocked (so routes and fresh loads are seen);
    every request URL is recorded in context.requests."""
    ctx = browser.new_context(service_workers="block", viewport={"width": 1000, "height": 900})
    ctx.requests = []
    ctx.on("request", lambda request: ctx.requests.append(request.url))
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    return page


@pytest.fixture
def ready_page(page, site):
    page.goto(site.url)
    harness.wait_ready(page)
    return page


@pytest.fixture(scope="session")
def app_session(browser, site):
    """One ready page for the session's parity and leak checks."""
    ctx = browser.new_context(service_workers="block")
    page = ctx.new_page()
    page.goto(site.url)
    harness.wait_ready(page)
    yield page
    ctx.close()
