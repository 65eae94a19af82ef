"""``GET /_sandbox/`` lists the control API, and the README's examples stay true to it.

The listing is what a person or a script discovers the control API by, and the README is
what they read first: both must name every route there is, and nothing that is not.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sandbox import SandboxServer

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "### The sandbox's control API"


@dataclass
class Example:
    """One ``curl`` line of the README's control API block."""

    line: str
    method: str
    path: str
    query: dict[str, list[str]]
    body: dict[str, Any]


def readme_examples() -> list[Example]:
    """The ``curl`` lines of the README section's ``sh`` block, parsed as curl would."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(SECTION) :]
    section = section[: section.index("\n## ")]
    block = section[section.index("```sh\n") :]
    block = block[: block.index("\n```", 1)]
    examples = []
    for line in block.splitlines():
        if not line.startswith("curl "):
            continue
        words = shlex.split(line, comments=True)
        method = "POST" if "-XPOST" in words else "GET"
        body = json.loads(words[words.index("-d") + 1]) if "-d" in words else {}
        url = urlsplit("http://" + next(w for w in words if "/_sandbox" in w))
        examples.append(Example(line, method, url.path, parse_qs(url.query), body))
    return examples


def route_for(routes: list[dict[str, Any]], method: str, path: str) -> dict[str, Any] | None:
    """The listed route ``path`` falls under (``{user_id}`` matches one path segment)."""
    for route in routes:
        for template in [route["path"], *route.get("aliases", [])]:
            pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template))
            if route["method"] == method and re.fullmatch(pattern, path):
                return route
    return None


@pytest.fixture
async def http(server: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url) as client:
        yield client


@pytest.fixture
async def listing(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    answer = await http.get("/_sandbox/")
    assert answer.status_code == 200
    routes: list[dict[str, Any]] = answer.json()["result"]["routes"]
    return routes


async def test_listing_names_every_route_the_app_serves(
    server: SandboxServer, http: httpx.AsyncClient, listing: list[dict[str, Any]]
) -> None:
    served = {
        (route.method, route.resource.canonical)
        for route in server.app.router.routes()
        if route.resource is not None and route.resource.canonical.startswith("/_sandbox")
    }
    listed = {
        (route["method"], path)
        for route in listing
        for path in [route["path"], *route.get("aliases", [])]
    }
    assert listed == served
    for route in listing:
        assert route["description"], f"{route['path']} has no description"
        assert isinstance(route["body"], dict) and isinstance(route["query"], dict)
        if route["method"] == "GET":
            assert route["body"] == {}, f"a GET takes no body: {route['path']}"
    without_slash = await http.get("/_sandbox")
    assert without_slash.json()["result"]["routes"] == listing
    faults = route_for(listing, "POST", "/_sandbox/faults")
    assert faults is not None
    assert set(faults["actions"]) >= {"block", "fail", "delay", "drop_connection", "limits"}
    assert faults["actions"]["fail"]["body"]["status"].endswith("default 429")


async def test_answers_keep_chinese_readable(
    server: SandboxServer, http: httpx.AsyncClient
) -> None:
    server.user(1002, "张三")
    for path in ("/_sandbox/chats", "/_sandbox/chats/1002"):
        answer = await http.get(path)
        assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
        assert "张三".encode() in answer.content and b"\\u" not in answer.content
        assert "张三" in json.dumps(answer.json(), ensure_ascii=False)  # and still JSON
    refused = await http.post("/_sandbox/faults", json={"action": "封锁"})
    assert refused.status_code == 400
    assert refused.headers["Content-Type"] == "application/json; charset=utf-8"
    assert "'封锁'".encode() in refused.content
    assert refused.json()["ok"] is False


async def test_a_bad_number_is_a_400_in_the_envelope(http: httpx.AsyncClient) -> None:
    """Not aiohttp's text page for a 500: the client reads ``description``."""
    for answer in (
        await http.get("/_sandbox/calls", params={"since": "yesterday"}),
        await http.post("/_sandbox/users", json={"id": "张三"}),
    ):
        assert answer.status_code == 400
        assert answer.json()["ok"] is False and answer.json()["error_code"] == 400


async def test_readme_examples_use_listed_routes_and_fields(
    listing: list[dict[str, Any]],
) -> None:
    examples = readme_examples()
    assert examples, "the README's control API block has no curl examples"
    shown: set[tuple[str, str]] = set()
    actions: set[str] = set()
    for example in examples:
        route = route_for(listing, example.method, example.path)
        assert route is not None, f"not a listed route: {example.line}"
        shown.add((route["method"], route["path"]))
        assert set(example.query) <= set(route["query"]), example.line
        fields = set(route["body"])
        if route.get("actions"):
            action = str(example.body.get("action"))
            assert action in route["actions"], f"unknown action: {example.line}"
            actions.add(action)
            fields = {"action", *route["actions"][action]["body"]}
        if "*" not in route["body"] or route.get("actions"):
            assert set(example.body) <= fields, f"unlisted field: {example.line}"
    assert shown == {(r["method"], r["path"]) for r in listing}, "a route has no README example"
    faults = route_for(listing, "POST", "/_sandbox/faults")
    assert faults is not None
    assert actions == set(faults["actions"]), "a fault action has no README example"

    table = README.read_text(encoding="utf-8")
    for route in listing:
        assert f"| `{route['method']} {route['path']}` |" in table, route["path"]
    for action in faults["actions"]:
        assert f"`{action}`" in table.split("| fault `action` |", 1)[1], action


async def test_readme_fault_and_user_examples_are_accepted(
    server: SandboxServer, http: httpx.AsyncClient
) -> None:
    """Their values, not only their names, must suit the code (``Limits(**body)``...);
    the other examples need the bot to answer, and were run against it by hand."""
    tried = 0
    for example in readme_examples():
        if example.path in ("/_sandbox/faults", "/_sandbox/users"):
            answer = await http.post(example.path, json=example.body)
            assert answer.json()["ok"] is True, (example.line, answer.text)
            tried += 1
    assert tried > 9
    assert server.limits is None and server.faults.rules == []  # the last ones undo the rest
