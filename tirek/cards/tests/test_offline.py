"""The verify page's offline parts, without a browser: the shell page and the service worker."""

import json

import pytest

from tirek.cards import offline

pytestmark = pytest.mark.django_db


def test_worker_keeps_the_shell_and_every_module(client):
    response = client.get("/V/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    first_line = response.content.decode().splitlines()[0]
    config = json.loads(first_line.removeprefix("const CONFIG = "))
    assert config["shell"] == config["scope"] == "/V/"
    assets = set(config["assets"])
    # The page module, what it imports, and what cborg's decoder and encoder import in turn.
    for path in (
        "cards/verify-page.js",
        "cards/verifier.js",
        "vendor/cborg/decode.js",
        "vendor/cborg/encode.js",
        "vendor/cborg/token.js",
        "vendor/jsqr/jsQR.js",
    ):
        assert f"/static/{path}" in assets
    assert config["cache"].startswith("tirek-verify-")


def test_module_closure_follows_relative_imports():
    modules, version = offline._modules()
    assert modules[0] == offline.ENTRY
    assert len(version) == 16
    assert all(not m.startswith("..") for m in modules)


def test_shell_page_has_the_device_verifier_and_no_inline_script(client):
    response = client.get("/V/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="device-verify"' in html and 'data-base="/V/"' in html
    assert 'type="module" src="/static/cards/verify-page.js"' in html
    assert "<script>" not in html
    # The paste page carries the same verifier (and registers the worker for /V/).
    assert 'id="device-verify"' in client.get("/verify/").content.decode()
    assert client.post("/V/", {"code": "x"}).status_code == 405
