"""/healthz says the process is up without touching the database; /readyz says whether it can serve:
database reachable and schema at head, else 503 problem+json naming which. Neither asks for a key."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from evperks.app import create_app
from evperks.config import Settings
from evperks.db.migrate import current, downgrade, head, upgrade
from tests.conftest import ENGINES, empty_database

UNREACHABLE = {
    "sqlite": "sqlite:////nonexistent-directory/evperks.db",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/evperks",  # nothing listens on port 1
}


def client_for(url: str) -> TestClient:
    return TestClient(create_app(Settings(database_url=url, scheduler=False)))


def test_both_probes_answer_ok_on_a_migrated_database_without_credentials(api):
    for path in ("/healthz", "/readyz"):
        response = api.client.get(path)
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_database_one_migration_behind_is_alive_but_not_ready_until_migrated(engine, tmp_path):
    with empty_database(engine, tmp_path) as url:
        upgrade(url)
        downgrade(url, "-1")
        behind = current(url)
        assert behind != head()
        with client_for(url) as client:
            assert client.get("/healthz").status_code == 200
            response = client.get("/readyz")
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert [e["field"] for e in problem["errors"]] == ["migrations"]
            assert behind in problem["detail"] and head() in problem["detail"]
            upgrade(url)
            assert client.get("/readyz").json() == {"status": "ok"}
            client.app.state.ctx.db.dispose()


@pytest.mark.parametrize("engine", ENGINES)
def test_an_unreachable_database_is_alive_but_not_ready(engine):
    with client_for(UNREACHABLE[engine]) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == ["database"]
        assert "127.0.0.1" not in response.text and "nonexistent" not in response.text
