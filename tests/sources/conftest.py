"""Fixtures for the street-imagery source tests: a local API stand-in on 127.0.0.1."""
import sys
from pathlib import Path

import pytest

sys.path.append(str(Path(__file__).resolve().parent))  # fixture_server, models_for_tests
from fixture_server import FixtureServer  # noqa: E402


@pytest.fixture
def server():
    with FixtureServer() as srv:
        yield srv


class FakeSleep:
    """Records waits instead of sleeping, so retry tests take no time."""

    def __init__(self):
        self.waits = []

    def __call__(self, seconds):
        self.waits.append(seconds)

    @property
    def total(self):
        return round(sum(self.waits), 6)


@pytest.fixture
def fake_sleep():
    return FakeSleep()
