import os

import pytest

# Playwright's sync API runs an event loop in the test thread; live_server is sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Real hashing costs ~0.3 s a password; the district fixture makes seven users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def district(db):
    from tests.factories import make_district

    return make_district()


@pytest.fixture
def login(client):
    """Log the test client in as a user of the district (None = stay anonymous)."""

    def as_user(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return as_user
