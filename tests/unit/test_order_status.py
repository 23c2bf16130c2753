"""A settled order's status follows what its refunds gave back."""

from __future__ import annotations

import pytest

from evperks.domain.checkout import order_status


@pytest.mark.parametrize(("paid", "refunded", "status"), [
    (2300, 0, "settled"), (0, 0, "settled"), (2300, 1, "partially_refunded"), (2300, 2299, "partially_refunded"),
    (2300, 2300, "refunded"),
])
def test_status_is_settled_until_a_refund_and_refunded_once_all_paid_is_back(paid, refunded, status):
    assert order_status(paid_fen=paid, refunded_fen=refunded) == status
