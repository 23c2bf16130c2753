"""Who pays first among campaigns of a type where one campaign rewards an event, and a grant's shortfall:
the pure rules behind the publish warnings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from evperks.domain.campaign_warnings import Rival, package_value_fen, rival_warnings, shortfall_warning


def day(n: int) -> datetime:
    return datetime(2026, 3, n, tzinfo=UTC)


def codes(campaign_id: int, start: int, end: int, *rivals: Rival) -> list[tuple[str, int]]:
    return [(w.code, w.params["id"]) for w in rival_warnings(campaign_id, day(start), day(end), list(rivals))]


@pytest.mark.parametrize(("start", "end", "expected"), [
    (5, 10, [("campaign.never_pays", 1)]),  # inside the older one's window
    (1, 20, [("campaign.never_pays", 1)]),  # exactly its window
    (15, 25, [("campaign.pays_after", 1)]),  # runs on after it ends
    (20, 25, []),  # starts when it ends: half-open windows do not meet
])
def test_an_older_campaign_open_to_all_outranks_a_newer_one_over_the_time_they_share(start, end, expected):
    older = Rival(id=1, name="老", start_at=day(1), end_at=day(20), admits_everyone=True)
    assert codes(2, start, end, older) == expected


def test_an_older_campaign_with_bound_inviters_outranks_only_partly_and_a_newer_one_is_outranked():
    bound = Rival(id=1, name="限", start_at=day(1), end_at=day(20), admits_everyone=False)
    newer = Rival(id=3, name="新", start_at=day(2), end_at=day(4), admits_everyone=True)
    itself = Rival(id=2, name="自己", start_at=day(1), end_at=day(20), admits_everyone=True)
    assert codes(2, 1, 20, newer, itself, bound) == [("campaign.pays_after", 1), ("campaign.outranks", 3)]


def test_a_grant_warns_only_when_members_outnumber_packages_and_a_package_is_worth_its_face_values():
    assert shortfall_warning(100, 100) is None
    short = shortfall_warning(3000, 100)
    assert (short.code, dict(short.params)) == ("campaign.packages_short", {"bound": 3000, "packages": 100,
                                                                           "shortfall": 2900})
    reward = [{"template_id": 1, "quantity": 2}, {"template_id": 2, "quantity": 1}]
    assert package_value_fen(reward, {1: 1000, 2: 500}) == 2500
