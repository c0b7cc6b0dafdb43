"""One lite backend per test module (``tests/backends/conftest.py``'s fixture)."""

from tests.backends.conftest import lite_backend  # noqa: F401 (a fixture, found by name)
