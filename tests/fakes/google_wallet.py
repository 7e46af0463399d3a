"""A fake Google Wallet API and OAuth token endpoint on 127.0.0.1 (plain HTTP).

The token endpoint checks the JWT-bearer grant google-auth sends (signature against the service
account's public key, audience, issuer, scope) and hands out an access token; the API accepts only
that token and keeps loyalty classes and objects in memory with Google's insert/patch semantics.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

import jwt
from cryptography.hazmat.primitives import serialization

API_PREFIX = "/walletobjects/v1"
WALLET_SCOPE = "https://www.googleapis.com/auth/wallet_object.issuer"
# google-auth always addresses its assertion to Google's token endpoint, wherever it posts it.
TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"


@dataclass
class WalletRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any


class FakeGoogleWallet:
    def __init__(self, service_account_info: dict[str, str]) -> None:
        private_key = serialization.load_pem_private_key(
            service_account_info["private_key"].encode(), password=None
        )
        self._public_key = private_key.public_key()
        self.client_email = service_account_info["client_email"]
        self.requests: list[WalletRequest] = []
        self.token_requests: list[dict[str, Any]] = []
        self.classes: dict[str, dict[str, Any]] = {}
        self.objects: dict[str, dict[str, Any]] = {}
        self.access_tokens: set[str] = set()
        # Queue of (status, reason) answered before anything else, to play Google's failures.
        self.fail_next: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def token_uri(self) -> str:
        return self.base_url + "/token"

    def start(self) -> FakeGoogleWallet:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeGoogleWallet:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- request handling -------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _read(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                raw = self._read()
                if self.path == "/token":
                    self._send(*fake._token(raw.decode()))
                else:
                    self._send(*fake._api("POST", self.path, dict(self.headers), raw))

            def do_PATCH(self) -> None:
                self._send(*fake._api("PATCH", self.path, dict(self.headers), self._read()))

            def do_PUT(self) -> None:
                self._send(*fake._api("PUT", self.path, dict(self.headers), self._read()))

            def do_GET(self) -> None:
                self._send(*fake._api("GET", self.path, dict(self.headers), b""))

        return Handler

    def _token(self, form: str) -> tuple[int, dict[str, Any]]:
        fields = {k: v[0] for k, v in parse_qs(form).items()}
        self.token_requests.append(fields)
        if fields.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, {"error": "unsupported_grant_type"}
        try:
            claims = jwt.decode(
                fields.get("assertion", ""),
                self._public_key,
                algorithms=["RS256"],
                audience=TOKEN_AUDIENCE,
                issuer=self.client_email,
            )
        except jwt.PyJWTError as exc:
            return 400, {"error": "invalid_grant", "error_description": str(exc)}
        if WALLET_SCOPE not in claims.get("scope", "").split():
            return 400, {"error": "invalid_scope"}
        token = "ya29.fake-" + secrets.token_urlsafe(16)
        with self._lock:
            self.access_tokens.add(token)
        return 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}

    def _api(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, Any]] | tuple[int, dict[str, Any], dict[str, str]]:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return _error(400, "badRequest", "Invalid JSON payload received.")
        headers = {name.lower(): value for name, value in headers.items()}
        with self._lock:
            self.requests.append(WalletRequest(method, path, headers, body))
            auth = headers.get("authorization", "")
            if not auth.startswith("Bearer ") or auth[7:] not in self.access_tokens:
                return _error(401, "authError", "Request had invalid authentication credentials.")
            if self.fail_next:
                status, reason = self.fail_next.pop(0)
                response = _error(status, reason, "injected failure")
                return (*response, {"Retry-After": "7"}) if status == 429 else response
            if not path.startswith(API_PREFIX + "/"):
                return _error(404, "notFound", "unknown path")
            parts = path[len(API_PREFIX) + 1 :].split("/")
            kind = {"loyaltyClass": self.classes, "loyaltyObject": self.objects}.get(parts[0])
            if kind is None or len(parts) > 2:
                return _error(404, "notFound", "unknown resource")
            if len(parts) == 1:
                if method != "POST" or not isinstance(body, dict) or "id" not in body:
                    return _error(400, "badRequest", "insert needs a body with an id")
                if body["id"] in kind:
                    return _error(409, "duplicate", f"Resource {body['id']} already exists.")
                if parts[0] == "loyaltyObject" and body.get("classId") not in self.classes:
                    return _error(404, "classNotFound", "The class of this object does not exist.")
                kind[body["id"]] = dict(body)
                return 200, kind[body["id"]]
            resource_id = unquote(parts[1])
            if resource_id not in kind:
                return _error(404, "resourceNotFound", f"Resource {resource_id} not found.")
            if method == "GET":
                return 200, kind[resource_id]
            if method == "PATCH":
                if not isinstance(body, dict):
                    return _error(400, "badRequest", "patch needs a JSON object")
                # Google keeps notifyPreference only for the call that carries it.
                kind[resource_id].update({k: v for k, v in body.items() if k != "notifyPreference"})
                return 200, kind[resource_id]
            if method == "PUT":
                kind[resource_id] = dict(body or {})
                return 200, kind[resource_id]
            return _error(405, "methodNotAllowed", method)


def _error(status: int, reason: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"domain": "global", "reason": reason, "message": message}],
        }
    }
