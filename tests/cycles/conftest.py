import pytest

from tests.cycles.harness import build


@pytest.fixture
def cycle_of(db, monkeypatch, django_capture_on_commit_callbacks):
    """``cycle_of(seed, today)``: the district with the seed's campaign on its root."""

    def make(seed, today):
        return build(seed, monkeypatch, django_capture_on_commit_callbacks, today)

    return make
