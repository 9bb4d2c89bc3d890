"""Finding 7 of the security test: no Content-Security-Policy and no Permissions-Policy on any page. Now every
response carries a strict CSP (django-csp; no inline script, no third-party origin but the tile server) and a
Permissions-Policy that denies geolocation except on the driver's pickup and delivery pages."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from manifests.models import Status
from tests.manifests.lifecycle import at_status

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)


def directives(response):
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


def sample_pages(w):
    m = at_status(w, Status.READY)
    return m, [
        reverse("home"),
        reverse("manifests:list"),
        reverse("manifests:detail", args=[m.pk]),
        reverse("manifests:notifications"),
        reverse("accounts:site_list"),
        reverse("gis:sites_map"),
        reverse("accounts:site_create", args=[w.alpha.pk]),
    ]


def test_every_sample_page_has_a_strict_csp(client, chain):
    w = chain
    _m, pages = sample_pages(w)
    client.force_login(w.alice)
    for url in [*pages, reverse("stats:enterprise", args=[w.alpha.pk])]:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = directives(response)
        assert policy["default-src"] == ["'self'"], url
        assert policy["script-src"] == ["'self'"], url  # no 'unsafe-inline', no 'unsafe-eval', no CDN
        assert policy["style-src"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"], url
        assert policy["connect-src"] == ["'self'"], url


def test_the_login_page_and_errors_carry_it_too(client, world):
    assert "script-src 'self'" in client.get(reverse("accounts:login"))["Content-Security-Policy"]
    client.force_login(world.zoe)
    assert "script-src 'self'" in client.get(reverse("manifests:detail", args=[999999]))["Content-Security-Policy"]


def test_map_tiles_only_from_the_configured_tile_server(client, world):
    client.force_login(world.central_official)
    policy = directives(client.get(reverse("gis:sites_map")))
    origins = [source for source in policy["img-src"] if source.startswith("http")]
    assert origins == [settings.MAP_TILE_URL.split("/{z}")[0]]


def test_the_tile_origin_follows_the_tile_setting():
    from hwms.settings import _origin

    assert _origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == "https://tile.openstreetmap.org"
    assert _origin("https://{s}.tiles.example.vn/osm/{z}/{x}/{y}.png") == "https://*.tiles.example.vn"
    assert _origin("") is None and _origin("/tiles/{z}/{x}/{y}.png") is None


def test_geolocation_is_denied_everywhere_but_the_drivers_pages(client, chain):
    w = chain
    m, pages = sample_pages(w)
    client.force_login(w.alice)
    for url in pages:
        policy = client.get(url)["Permissions-Policy"]
        assert "geolocation=()" in policy and "camera=()" in policy and "microphone=()" in policy, url
    client.force_login(w.dan)
    pickup = client.get(reverse("manifests:pickup", args=[m.pk]))
    assert pickup.status_code == 200
    assert "geolocation=(self)" in pickup["Permissions-Policy"] and "camera=()" in pickup["Permissions-Policy"]
    assert "geolocation=()" in client.get(reverse("manifests:driver_list"))["Permissions-Policy"]
    in_transit = at_status(w, Status.IN_TRANSIT)
    deliver = client.get(reverse("manifests:deliver", args=[in_transit.pk]))
    assert deliver.status_code == 200 and "geolocation=(self)" in deliver["Permissions-Policy"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.I)


def test_no_template_holds_an_inline_script_handler_or_style():
    """What the policy would block, caught before a browser does: <script> without src, on…= handlers, style=."""
    offenders = []
    for path in ROOT.glob("**/templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, HANDLER, STYLE_ATTRIBUTE):
            offenders += [f"{path.relative_to(ROOT)}: {match.group(0)}" for match in pattern.finditer(text)]
    assert offenders == []
