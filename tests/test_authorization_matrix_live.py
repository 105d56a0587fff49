"""The authorization matrix's routes that hand database work to other threads (the live stream):
checked on committed data, in their own module so the matrix's shared world (one transaction for
the whole of test_authorization_matrix.py) is not open meanwhile. They must write nothing."""

from __future__ import annotations

import pytest

from .test_authorization_matrix import ROWS, _check, build_world


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", sorted(name for name, row in ROWS.items() if not row.atomic))
def test_route_outside_a_transaction(route, fast_password_hasher):
    _check(route, build_world())
