"""The response-shape check of the API tests (tests/api/shapes.py) refuses what it should, so that a
suite passing under it means every answer had its declared shape."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from evperks.api.errors import PROBLEM
from evperks.api.responses import json_response
from tests.api.shapes import ShapeMismatch, check_response_shapes

UTC = ZoneInfo("UTC")


class Out(BaseModel):
    id: int
    name: str


def _client() -> TestClient:
    app = FastAPI()

    @app.get("/good", response_model=Out)
    def good():
        return json_response({"id": 1, "name": "a"}, zone=UTC)

    @app.get("/extra", response_model=Out)
    def extra():
        return json_response({"id": 1, "name": "a", "secret": "b"}, zone=UTC)

    @app.get("/wrong", response_model=Out)
    def wrong():
        return json_response({"id": "one", "name": "a"}, zone=UTC)

    @app.get("/undeclared")
    def undeclared():
        return json_response({"id": 1}, zone=UTC)

    @app.post("/created", status_code=201, response_model=Out, responses={200: {"model": Out}})
    def created():
        return json_response({"id": 1, "name": "a"}, zone=UTC, status=200)

    @app.get("/problem")
    def problem():
        body = {"type": "about:blank", "title": "Conflict", "status": 409, "detail": "no", "errors": [], "code": "x"}
        return json_response(body, zone=UTC, status=409, media_type=PROBLEM)

    @app.get("/broken-problem")
    def broken_problem():
        return json_response({"title": "Conflict", "status": 409}, zone=UTC, status=409, media_type=PROBLEM)

    client = TestClient(app)
    check_response_shapes(client, app)
    return client


def test_answers_of_their_declared_shape_pass_and_problems_may_carry_more_keys():
    client = _client()
    assert client.get("/good").status_code == 200
    assert client.post("/created").status_code == 200
    assert client.get("/problem").json()["code"] == "x"


@pytest.mark.parametrize("path", ["/extra", "/wrong", "/undeclared", "/broken-problem"])
def test_an_answer_off_its_declared_shape_fails_the_test_that_received_it(path):
    with pytest.raises(ShapeMismatch):
        _client().get(path)
