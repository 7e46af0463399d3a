"""Driving the console through Flask's test client: its CSRF tokens, logging in."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

ADMIN = ("admin@test.example", "admin-password-1")
STAFF = ("staff@test.example", "staff-password-1")
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_KEY = re.compile(r'name="key" type="hidden" value="([^"]+)"')


def csrf(client: FlaskClient, path: str = "/console/login") -> str:
    page = client.get(path)
    found = _TOKEN.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


def form_key(html: str) -> str:
    found = _KEY.search(html)
    assert found, html[:500]
    return found.group(1)


def login(client: FlaskClient, email: str, password: str, follow: bool = False):
    token = csrf(client)
    return client.post(
        "/console/login",
        data={"csrf_token": token, "email": email, "password": password},
        follow_redirects=follow,
    )


def post(client: FlaskClient, path: str, data: dict, page: str, **kwargs):
    """A form post with the CSRF token of the page the form is on."""
    return client.post(path, data={"csrf_token": csrf(client, page), **data}, **kwargs)
