"""Issue 14: a database outage degrades gracefully: 503 with Retry-After (a page for people,
problem JSON for the API, plain text for the stream), and a pool that never hands out a
connection cut by a restart and fails fast while the database is away."""

from __future__ import annotations

import socket
import time

import pytest
from asgiref.sync import async_to_sync
from django.db import OperationalError, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import AsyncClient, Client
from psycopg_pool import PoolTimeout

from config.db.base import RestartTolerantPool


@pytest.fixture
def outage(monkeypatch):
    """Every new use of the database fails as when PostgreSQL is restarting."""

    def refuse(self):
        raise OperationalError("connection failed: the database system is shutting down")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)


@pytest.mark.django_db(transaction=True)
def test_pages_answer_503_with_retry_after_and_a_styled_page(outage):
    response = Client().get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    html = response.content.decode()
    assert "Back in a moment" in html and "css/app.css" in html
    assert "Traceback" not in html


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_503_problem_json(outage):
    response = Client().get("/annotations/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "2"
    assert response.json()["status"] == 503


@pytest.mark.django_db(transaction=True)
def test_a_session_saved_on_the_way_out_is_503_too(outage):
    # Logging in writes the session after the view (SessionMiddleware): the error is raised
    # outside the view, where handler500 (config.middleware.server_error) answers it.
    response = Client().post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 503


@pytest.mark.django_db(transaction=True)
def test_a_stream_reconnecting_during_an_outage_gets_503(outage):
    response = async_to_sync(AsyncClient().get)("/stories/any-story/live/")
    assert response.status_code == 503
    assert response["Retry-After"] == "2"


def _pool(**options) -> RestartTolerantPool:
    params = connection.get_connection_params()
    params["autocommit"] = True
    return RestartTolerantPool(kwargs=params, min_size=1, max_size=2, timeout=2, open=False,
                               check=RestartTolerantPool.check_connection, **options)  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_the_pool_never_hands_out_a_connection_cut_by_a_restart():
    pool = _pool()
    pool.open(wait=True)
    try:
        with pool.connection() as conn:
            pid = conn.info.backend_pid
        with connection.cursor() as cursor:  # as a restart would
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        started = time.monotonic()
        with pool.connection() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
            assert conn.info.backend_pid != pid
        assert time.monotonic() - started < 2
    finally:
        pool.close()


def test_the_pool_fails_at_once_while_the_database_refuses_connections():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket is closed
    pool = RestartTolerantPool(kwargs={"host": "127.0.0.1", "port": port, "dbname": "x",
                                       "user": "postgres", "connect_timeout": 2},
                               min_size=1, max_size=2, timeout=2, open=False)  # fmt: skip
    pool.open(wait=False)
    try:
        deadline = time.monotonic() + 10
        while not pool.unreachable and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pool.unreachable
        started = time.monotonic()
        with pytest.raises(PoolTimeout):
            pool.getconn()
        assert time.monotonic() - started < 0.5
    finally:
        pool.close()
