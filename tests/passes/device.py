"""Wallet on a device, as far as our web service sees it: the calls an iPhone makes.

It knows only what a device knows: the pass it was given (webServiceURL, pass type, serial,
authentication token) and its own library identifier and push token.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def pass_json(data: bytes) -> dict:
    return json.loads(unzip(data)["pass.json"])


def field(document: dict, group: str, key: str) -> dict:
    return next(f for f in document["storeCard"][group] if f["key"] == key)


@dataclass(frozen=True)
class WalletPass:
    web_service_url: str
    pass_type: str
    serial: str
    token: str

    @classmethod
    def from_pkpass(cls, data: bytes) -> WalletPass:
        document = pass_json(data)
        return cls(
            web_service_url=document["webServiceURL"],
            pass_type=document["passTypeIdentifier"],
            serial=document["serialNumber"],
            token=document["authenticationToken"],
        )


@dataclass
class Device:
    client: FlaskClient
    library_id: str
    push_token: str

    @staticmethod
    def _path(wallet_pass: WalletPass, rest: str) -> str:
        # The device appends "/v1/..." to webServiceURL; the test client takes the path part.
        return urlsplit(wallet_pass.web_service_url).path + "/v1/" + rest

    def _auth(self, token: str | None) -> dict[str, str]:
        return {"Authorization": f"ApplePass {token}"} if token is not None else {}

    def register(
        self,
        wallet_pass: WalletPass,
        token: str | None = None,
        pass_type: str | None = None,
        serial: str | None = None,
        body: object = None,
        headers: dict[str, str] | None = None,
    ) -> TestResponse:
        path = self._path(
            wallet_pass,
            f"devices/{self.library_id}/registrations/"
            f"{pass_type or wallet_pass.pass_type}/{serial or wallet_pass.serial}",
        )
        payload = {"pushToken": self.push_token} if body is None else body
        auth = headers if headers is not None else self._auth(token or wallet_pass.token)
        if isinstance(payload, bytes | str):
            return self.client.post(
                path, data=payload, headers=auth, content_type="application/json"
            )
        return self.client.post(path, json=payload, headers=auth)

    def unregister(
        self,
        wallet_pass: WalletPass,
        token: str | None = None,
        pass_type: str | None = None,
        serial: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> TestResponse:
        path = self._path(
            wallet_pass,
            f"devices/{self.library_id}/registrations/"
            f"{pass_type or wallet_pass.pass_type}/{serial or wallet_pass.serial}",
        )
        auth = headers if headers is not None else self._auth(token or wallet_pass.token)
        return self.client.delete(path, headers=auth)

    def updated(
        self, wallet_pass: WalletPass, since: str | None = None, pass_type: str | None = None
    ) -> TestResponse:
        path = self._path(
            wallet_pass,
            f"devices/{self.library_id}/registrations/{pass_type or wallet_pass.pass_type}",
        )
        query = {"passesUpdatedSince": since} if since is not None else {}
        return self.client.get(path, query_string=query)

    def fetch(
        self,
        wallet_pass: WalletPass,
        token: str | None = None,
        pass_type: str | None = None,
        serial: str | None = None,
        if_modified_since: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> TestResponse:
        path = self._path(
            wallet_pass,
            f"passes/{pass_type or wallet_pass.pass_type}/{serial or wallet_pass.serial}",
        )
        auth = headers if headers is not None else self._auth(token or wallet_pass.token)
        if if_modified_since is not None:
            auth = {**auth, "If-Modified-Since": if_modified_since}
        return self.client.get(path, headers=auth)

    def log(self, wallet_pass: WalletPass, body: object) -> TestResponse:
        path = self._path(wallet_pass, "log")
        if isinstance(body, bytes | str):
            return self.client.post(path, data=body, content_type="application/json")
        return self.client.post(path, json=body)
