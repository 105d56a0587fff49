"""Issue 14: repeated failed logins and bad bearer tokens are throttled (django-axes)."""

from __future__ import annotations

import pytest
from django.test import Client

from opendata import services as opendata_services
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "right-password-for-tests"


@pytest.fixture
def throttled(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_wrong_passwords_lock_the_account_even_for_the_right_one(throttled):
    factories.make_user(username="minh", password=PASSWORD)
    client = Client()
    for _ in range(4):
        assert _login(client, "minh", "wrong").status_code == 200  # the form, with its error
    assert _login(client, "minh", "wrong").status_code == 429  # the fifth failure locks
    response = _login(client, "minh", PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # From another address too: the account is what is locked.
    assert _login(Client(), "minh", PASSWORD, ip="10.0.0.2").status_code == 429


def test_one_address_guessing_many_accounts_is_locked(throttled):
    factories.make_user(username="lan", password=PASSWORD)
    client = Client()
    for i in range(5):
        _login(client, f"nobody{i}", "wrong", ip="10.0.0.9")
    assert _login(client, "lan", PASSWORD, ip="10.0.0.9").status_code == 429
    # Lan from elsewhere still logs in.
    assert _login(Client(), "lan", PASSWORD, ip="10.0.0.10").status_code == 302


def test_a_right_password_before_the_limit_logs_in_and_resets(throttled):
    factories.make_user(username="an", password=PASSWORD)
    client = Client()
    for _ in range(4):
        _login(client, "an", "wrong")
    assert _login(client, "an", PASSWORD).status_code == 302


def test_without_throttling_the_suite_settings_leave_logins_alone():
    factories.make_user(username="bao", password=PASSWORD)
    client = Client()
    for _ in range(12):
        _login(client, "bao", "wrong")
    assert _login(client, "bao", PASSWORD).status_code == 302


def test_bad_bearer_tokens_are_throttled_and_a_good_one_from_elsewhere_still_works(throttled):
    user = factories.make_user(username="tokens")
    _token, raw = opendata_services.token_create(user=user, name="script")
    client = Client()
    for i in range(5):
        response = client.get(
            "/annotations/", HTTP_AUTHORIZATION=f"Bearer px_guess{i:04d}xx", REMOTE_ADDR="10.1.1.1"
        )
        assert response.status_code == (401 if i < 4 else 429)
    response = client.get(
        "/annotations/", HTTP_AUTHORIZATION="Bearer px_guess9999xx", REMOTE_ADDR="10.1.1.1"
    )
    assert response.status_code == 429
    assert response.json()["status"] == 429
    assert int(response["Retry-After"]) > 0
    # The guessing address is refused even with a real token...
    locked = client.get("/annotations/", HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR="10.1.1.1")
    assert locked.status_code == 429
    # ...and the token's owner elsewhere is not.
    fine = client.get("/annotations/", HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR="10.1.1.2")
    assert fine.status_code == 200
