"""Shared by every test folder: one BLAS thread, the markers by folder, and the browser
tests' session fixtures.

The arrays in these tests are small; OpenBLAS's worker threads only spin against
each other (and against anything else running), which made the suite several
times slower on a busy machine. Set before any test module imports NumPy.

tests/e2e and tests/parity share one build of the site, served on 127.0.0.1, and one
Chromium (tests/e2e/harness.py): the fixtures live here so that both folders see the
same ones.
"""
import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

from pathlib import Path  # noqa: E402  (NumPy comes in with the harness: after the threads are set)

import pytest  # noqa: E402

from tests.e2e import harness  # noqa: E402

TESTS = Path(__file__).parent
MARKED_FOLDERS = ("model", "parity", "e2e")   # each folder's tests carry its marker (pyproject.toml)


def pytest_collection_modifyitems(config, items):
    for item in items:
        folder = Path(item.path).relative_to(TESTS).parts[0]
        if folder in MARKED_FOLDERS:
            item.add_marker(folder)


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
