"""Ids in paths beyond what a row can have are 404, not a database overflow."""

from __future__ import annotations

import pytest


@pytest.fixture()
def inspector(make):
    return make.actor("inspector")


@pytest.mark.parametrize("path", ["/api/v1/recalls/{n}", "/api/v1/recalls/{n}/notice.csv",
                                  "/api/v1/log/entries/{n}"])
@pytest.mark.parametrize("n", [2**31, 2**63, 10**30])
def test_huge_ids_in_get_paths_are_404(client, inspector, path, n):
    r = client.get(path.format(n=n), headers=inspector.headers)
    assert r.status_code == 404 and r.mimetype == "application/problem+json"


@pytest.mark.parametrize("path", ["/api/v1/recalls/{n}/close", "/api/v1/compliance/findings/{n}/resolve"])
def test_huge_ids_in_post_paths_are_404(client, inspector, path):
    r = client.post(path.format(n=2**63), json={"note": "x"}, headers=inspector.headers)
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
