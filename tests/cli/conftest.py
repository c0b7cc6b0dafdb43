"""CLI test fixtures: run ``core.cli.main`` in-process and capture what it prints."""

from __future__ import annotations

import json

import pytest

from core.backends.fake import FakeBackend
from core.cli import main
from tests.cli.fakes import use_backend


@pytest.fixture
def cli(capfd):
    """Run a command; returns (exit status, stdout, stderr).

    ``capfd``, not ``capsys``: the CLI writes its stderr through a duplicate of file descriptor 2
    (native library logs go to /dev/null meanwhile), which only descriptor-level capture sees.
    """

    def run(*argv):
        code = main([str(a) for a in argv])
        out, err = capfd.readouterr()
        return code, out, err

    return run


@pytest.fixture
def install(monkeypatch):
    """``install(backend)``: the CLI gets ``backend``; returns the (name, size) requests it got."""

    def _install(backend: FakeBackend) -> list[tuple[str, str]]:
        return use_backend(monkeypatch, backend)

    return _install


def run_json(cli, *argv):
    code, out, err = cli(*argv)
    assert code == 0, err
    return json.loads(out)
