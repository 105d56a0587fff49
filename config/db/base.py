"""Django's PostgreSQL backend with a connection pool that rides out a database restart.

psycopg_pool's own pool, as Django builds it, checks each connection it hands out
(``CONN_HEALTH_CHECKS``) but then waits with the backoff it uses for reconnecting: 1 s after the
first dead connection, 2 s after the second, so after a restart (every idle connection dead) a
request could not get a good one within the 2 s it is given; and it reconnects in the background
after 1, 2, 4, 8 s..., so full speed came back up to 7 s after the database did.

``RestartTolerantPool`` drops dead connections without sleeping between them (each check fails
at once on a closed socket) and retries connecting every 0.1-0.5 s, so service is back within
a second of the database; while the database refuses connections, a request with no idle
connection to take fails at once (a 503) rather than after the pool's timeout. Written against
psycopg_pool 3.3 (pinned in requirements.txt).
"""

from __future__ import annotations

from time import monotonic, sleep

from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool, PoolTimeout
from psycopg_pool.base import AttemptWithBackoff


class QuickAttempt(AttemptWithBackoff):
    """Backoff from 0.1 s, capped at 0.5 s: a database back from a restart is used at once."""

    INITIAL_DELAY = 0.1
    DELAY_BACKOFF = 1.5
    MAX_DELAY = 0.5

    def update_delay(self, now: float) -> None:
        super().update_delay(now)
        self.delay = min(self.delay, self.MAX_DELAY)


class RestartTolerantPool(ConnectionPool):
    #: True while the last attempt to connect failed (the server refused or was shutting down):
    #: a request that finds no idle connection then fails at once instead of holding its
    #: thread for the whole timeout, which queued every other request behind it.
    unreachable = False

    def _connect(self, timeout: float | None = None):
        try:
            conn = super()._connect(timeout)
        except Exception:
            self.unreachable = True
            raise
        self.unreachable = False
        return conn

    def _add_connection(self, attempt, growing: bool = False) -> None:
        super()._add_connection(attempt or QuickAttempt(timeout=self.reconnect_timeout), growing)

    def _fail_fast(self) -> None:
        if self.unreachable and not self._pool:
            raise PoolTimeout("the database is unreachable")

    def _getconn_with_check_loop(self, deadline: float):
        failed = 0
        self._fail_fast()
        while True:
            conn = self._getconn_unchecked(deadline - monotonic())
            try:
                self._check_connection(conn)
            except Exception:
                self._putconn(conn, from_getconn=True)  # closed; the pool makes a new one
                failed += 1
            except BaseException:
                self._putconn(conn, from_getconn=True)
                raise
            else:
                return conn
            if monotonic() >= deadline:
                raise PoolTimeout()
            self._fail_fast()
            # Dead idle connections are dropped one after another at once; after as many as
            # the pool can hold, wait a little for the new ones.
            if failed > self.max_size:
                sleep(min(QuickAttempt.MAX_DELAY, max(0.0, deadline - monotonic())))


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        options = self.settings_dict["OPTIONS"].get("pool")
        if self.alias == base.NO_DB_ALIAS or not options:
            return None
        if self.alias not in self._connection_pools:
            connect_kwargs = self.get_connection_params()
            connect_kwargs["autocommit"] = True  # as Django's pool does; it sets it later
            pool = RestartTolerantPool(
                kwargs=connect_kwargs,
                open=False,
                configure=self._configure_connection,
                check=ConnectionPool.check_connection,
                **({} if options is True else options),
            )
            self._connection_pools.setdefault(self.alias, pool)
        return self._connection_pools[self.alias]
