"""The parity tests share the e2e session fixtures (one build, one browser)."""
import importlib.util
import sys
from pathlib import Path

_name = "mnist_draw_e2e_conftest"
if _name not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        _name, Path(__file__).parents[1] / "e2e" / "conftest.py")
    sys.modules[_name] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[_name])
_e2e = sys.modules[_name]

harness = _e2e.harness
site, browser, app_session = _e2e.site, _e2e.browser, _e2e.app_session
pytest_configure, pytest_sessionfinish = _e2e.pytest_configure, _e2e.pytest_sessionfinish
