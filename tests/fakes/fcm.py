"""A local stand-in for Firebase Cloud Messaging (HTTP v1) and Google's OAuth2 token endpoint.

The real firebase-admin, google-auth, requests and httpx run unchanged against it; only the far
end is ours. It serves TLS on 127.0.0.1 (a random free port) with ALPN h2 and http/1.1, so the
library's async path really speaks HTTP/2 and its sync path HTTP/1.1, as they do against Google.

- ``POST /token``: the OAuth2 JWT-bearer grant google-auth makes for a service account. The
  assertion's RS256 signature is checked against the public half of the key in
  ``service_account_info()``; a bearer token comes back.
- ``POST /v1/projects/{project}/messages:send``: checks the bearer token and the request body
  against the FCM v1 ``Message`` format, records it, and answers ``{"name": ...}`` or, for
  targets chosen with ``fail()``, an error in FCM's JSON shape with the ``FcmError`` detail.
- ``GET /_fake/stats``: counters, so a benchmark can read them from a server in another process.

Clients trust the fake's certificate through ``client_env()`` (``SSL_CERT_FILE`` for httpx,
``REQUESTS_CA_BUNDLE`` for requests); both libraries read them when they build their TLS setup.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import ipaddress
import itertools
import json
import os
import re
import secrets
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h11
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# google-auth always addresses the grant to Google's token endpoint, whatever token_uri says.
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
MESSAGING_SCOPES = {
    "https://www.googleapis.com/auth/firebase.messaging",
    "https://www.googleapis.com/auth/cloud-platform",
}
# The flow-control window Google's front ends advertise, per stream and per connection.
GOOGLE_WINDOW = 1 << 20
MAX_TTL_SECONDS = 2_419_200  # four weeks, FCM's ceiling
MAX_DATA_BYTES = 4096

# What FCM answers for each error code: HTTP status, google.rpc status, message.
ERRORS: dict[str, tuple[int, str, str]] = {
    "UNREGISTERED": (404, "NOT_FOUND", "Requested entity was not found."),
    "INVALID_ARGUMENT": (
        400,
        "INVALID_ARGUMENT",
        "The registration token is not a valid FCM registration token",
    ),
    "SENDER_ID_MISMATCH": (403, "PERMISSION_DENIED", "SenderId mismatch"),
    "QUOTA_EXCEEDED": (
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Send requests' of service fcm.googleapis.com.",
    ),
    "UNAVAILABLE": (503, "UNAVAILABLE", "The service is currently unavailable."),
    "INTERNAL": (500, "INTERNAL", "Internal error encountered."),
    "THIRD_PARTY_AUTH_ERROR": (401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service"),
}

TARGETS = ("token", "fid", "topic", "condition")
MESSAGE_FIELDS = {
    "name",
    "data",
    "notification",
    "android",
    "webpush",
    "apns",
    "fcm_options",
    *TARGETS,
}
ANDROID_FIELDS = {
    "collapse_key",
    "priority",
    "ttl",
    "restricted_package_name",
    "data",
    "notification",
    "fcm_options",
    "direct_boot_ok",
    "bandwidth_constrained_ok",
    "restricted_satellite_ok",
}
APNS_FIELDS = {"headers", "payload", "fcm_options", "live_activity_token"}
NOTIFICATION_FIELDS = {"title", "body", "image"}
RESERVED_DATA_KEYS = {"from", "message_type", "notification"}
TTL_RE = re.compile(r"^(\d+)(\.\d{1,9})?s$")
SEND_PATH_RE = re.compile(r"^/v1/projects/([^/]+)/messages:send$")


def validate_message(body: Any) -> list[tuple[str, str]]:
    """(field, problem) pairs for what FCM would reject in a messages:send request body."""
    problems: list[tuple[str, str]] = []

    def bad(path: str, why: str) -> None:
        problems.append((path, why))

    def string_map(path: str, value: Any) -> None:
        if not isinstance(value, dict):
            bad(path, "must be a map of strings")
            return
        for key, item in value.items():
            if not isinstance(item, str):
                bad(f"{path}[{key}]", "must be a string")

    def fields(path: str, value: Any, allowed: set[str]) -> bool:
        if not isinstance(value, dict):
            bad(path, "must be an object")
            return False
        for key in value.keys() - allowed:
            bad(f"{path}.{key}", "unknown field")
        return True

    if not fields("", body, {"message", "validate_only"}):
        return problems
    if "validate_only" in body and not isinstance(body["validate_only"], bool):
        bad("validate_only", "must be a boolean")
    message = body.get("message")
    if not fields("message", message, MESSAGE_FIELDS):
        return problems

    targets = [t for t in TARGETS if t in message]
    if len(targets) != 1:
        bad("message", f"exactly one of {', '.join(TARGETS)} is required, got {targets}")
    for target in targets:
        if not isinstance(message[target], str) or not message[target]:
            bad(f"message.{target}", "must be a non-empty string")

    if "data" in message:
        data = message["data"]
        string_map("message.data", data)
        if isinstance(data, dict):
            for key in data:
                if key in RESERVED_DATA_KEYS or key.startswith(("google.", "gcm.")):
                    bad(f"message.data.{key}", "reserved key")
            size = sum(len(k.encode()) + len(str(v).encode()) for k, v in data.items())
            if size > MAX_DATA_BYTES:
                bad("message.data", f"payload of {size} bytes is over {MAX_DATA_BYTES}")

    if "notification" in message and fields(
        "message.notification", message["notification"], NOTIFICATION_FIELDS
    ):
        for key, value in message["notification"].items():
            if not isinstance(value, str):
                bad(f"message.notification.{key}", "must be a string")

    android = message.get("android")
    if android is not None and fields("message.android", android, ANDROID_FIELDS):
        if "collapse_key" in android and not isinstance(android["collapse_key"], str):
            bad("message.android.collapse_key", "must be a string")
        if "priority" in android and str(android["priority"]).upper() not in ("NORMAL", "HIGH"):
            bad("message.android.priority", "must be NORMAL or HIGH")
        if "ttl" in android:
            ttl = android["ttl"]
            match = TTL_RE.match(ttl) if isinstance(ttl, str) else None
            if not match:
                bad("message.android.ttl", 'must be a duration like "3600s"')
            elif int(match.group(1)) > MAX_TTL_SECONDS:
                bad("message.android.ttl", f"must be at most {MAX_TTL_SECONDS}s")
        if "data" in android:
            string_map("message.android.data", android["data"])

    apns = message.get("apns")
    if apns is not None and fields("message.apns", apns, APNS_FIELDS):
        headers = apns.get("headers", {})
        string_map("message.apns.headers", headers)
        if isinstance(headers, dict):
            expiration = headers.get("apns-expiration")
            if expiration is not None and not (
                isinstance(expiration, str) and expiration.isdigit()
            ):
                bad("message.apns.headers.apns-expiration", "must be UNIX epoch seconds")
            collapse = headers.get("apns-collapse-id")
            if isinstance(collapse, str) and len(collapse.encode()) > 64:
                bad("message.apns.headers.apns-collapse-id", "must be at most 64 bytes")
            priority = headers.get("apns-priority")
            if priority is not None and priority not in ("1", "5", "10"):
                bad("message.apns.headers.apns-priority", "must be 1, 5 or 10")
        payload = apns.get("payload")
        if payload is not None:
            if not isinstance(payload, dict) or not isinstance(payload.get("aps", {}), dict):
                bad("message.apns.payload", "must be an object with an aps object")
            elif len(json.dumps(payload).encode()) > MAX_DATA_BYTES:
                bad("message.apns.payload", f"must be at most {MAX_DATA_BYTES} bytes")
    return problems


def error_body(code: str, message: str | None = None, violations=()) -> tuple[int, dict]:
    status, rpc_status, default_message = ERRORS.get(
        code, (400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
    )
    details: list[dict] = [{"@type": FCM_ERROR_TYPE, "errorCode": code}]
    if violations:
        details.append(
            {
                "@type": BAD_REQUEST_TYPE,
                "fieldViolations": [{"field": f, "description": d} for f, d in violations],
            }
        )
    return status, {
        "error": {
            "code": status,
            "message": message or default_message,
            "status": rpc_status,
            "details": details,
        }
    }


@dataclass
class Recorded:
    """One messages:send request as the fake received it."""

    project: str
    http_version: str
    headers: dict[str, str]
    body: Any
    status: int

    @property
    def message(self) -> dict:
        return self.body.get("message", {}) if isinstance(self.body, dict) else {}

    @property
    def target(self) -> tuple[str, str] | None:
        for kind in TARGETS:
            if kind in self.message:
                return kind, self.message[kind]
        return None


@dataclass
class _Failure:
    code: str
    times: int | None  # None: every request fails
    retry_after: str | None


@dataclass
class Materials:
    """Files the fake and its clients share: TLS certificate chain and a service-account key."""

    directory: Path
    ca_file: Path
    cert_file: Path
    key_file: Path
    sa_private_pem: str
    sa_public_pem: str

    @classmethod
    def create(cls, directory: Path) -> Materials:
        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-fcm test CA")])
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = serialization.Encoding.PEM
        materials = cls(
            directory=directory,
            ca_file=directory / "ca.pem",
            cert_file=directory / "cert.pem",
            key_file=directory / "key.pem",
            sa_private_pem=sa_key.private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode(),
            sa_public_pem=sa_key.public_key()
            .public_bytes(pem, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode(),
        )
        materials.ca_file.write_bytes(ca_cert.public_bytes(pem))
        materials.cert_file.write_bytes(cert.public_bytes(pem))
        (directory / "sa_private.pem").write_text(materials.sa_private_pem)
        (directory / "sa_public.pem").write_text(materials.sa_public_pem)
        materials.key_file.write_bytes(
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
        return materials

    @classmethod
    def load(cls, directory: Path) -> Materials:
        return cls(
            directory=directory,
            ca_file=directory / "ca.pem",
            cert_file=directory / "cert.pem",
            key_file=directory / "key.pem",
            sa_private_pem=(directory / "sa_private.pem").read_text(),
            sa_public_pem=(directory / "sa_public.pem").read_text(),
        )


class FakeFcm:
    """The fake server. Use as a context manager, in a thread (tests) or a process (benchmarks).

    With ``record=False`` it keeps only counters, which is what a 100,000-message run wants.
    ``fail()``, ``requests``, ``violations`` and ``attempts()`` work in thread mode; a fake in its
    own process (``in_process=True``) is read through ``remote_stats()``.
    """

    def __init__(
        self,
        project_id: str = "loyalty-test",
        *,
        record: bool = True,
        validate: bool = True,
        in_process: bool = False,
        materials: Materials | None = None,
        max_streams: int = 100,
    ) -> None:
        self.project_id = project_id
        # SETTINGS_MAX_CONCURRENT_STREAMS: it caps the requests in flight on one HTTP/2
        # connection, so it decides async throughput; 100 is what Google's front ends commonly
        # advertise (a typical value, not a documented FCM figure).
        self.max_streams = max_streams
        self.record = record
        self.validate = validate
        self.in_process = in_process
        self.client_email = f"firebase-adminsdk@{project_id}.iam.gserviceaccount.com"
        self._tmp: tempfile.TemporaryDirectory | None = None
        if materials is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="fake-fcm-")
            materials = Materials.create(Path(self._tmp.name))
        self.materials = materials
        self.port = 0
        self.requests: list[Recorded] = []
        self.violations: list[tuple[str, str]] = []
        self.token_requests = 0
        self.stats: Counter[str] = Counter()
        self._failures: dict[str, _Failure] = {}
        self._attempts: Counter[str] = Counter()
        self._issued: set[str] = set()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._process: subprocess.Popen[str] | None = None

    # -- what clients need ------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The process serving requests (this one, unless in_process)."""
        return self._process.pid if self._process is not None else os.getpid()

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    def service_account_info(self) -> dict[str, str]:
        """A service-account key file's contents, with token_uri pointing here."""
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": "fake-key-1",
            "private_key": self.materials.sa_private_pem,
            "client_email": self.client_email,
            "client_id": "1234567890",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
        }

    def write_service_account(self, path: Path) -> Path:
        path.write_text(json.dumps(self.service_account_info()))
        return path

    def client_env(self) -> dict[str, str]:
        """Environment that makes httpx and requests trust the fake's certificate."""
        ca = str(self.materials.ca_file)
        return {"SSL_CERT_FILE": ca, "REQUESTS_CA_BUNDLE": ca}

    # -- steering and reading ---------------------------------------------------------------

    def fail(
        self, target: str, code: str, *, times: int | None = None, retry_after: str | None = None
    ) -> None:
        """Answer requests for this token/fid with FCM error `code` (the first `times` only)."""
        with self._lock:
            self._failures[target] = _Failure(code, times, retry_after)

    def attempts(self, target: str) -> int:
        with self._lock:
            return self._attempts[target]

    @property
    def delivered(self) -> list[dict]:
        """Messages the fake accepted (answered 200), in arrival order."""
        with self._lock:
            return [r.message for r in self.requests if r.status == 200]

    def remote_stats(self) -> dict[str, Any]:
        """Counters read over HTTP (works for a fake in another process)."""
        import httpx

        with httpx.Client(verify=_client_ssl(self.materials.ca_file)) as client:
            return client.get(f"{self.url}/_fake/stats").json()

    # -- running ----------------------------------------------------------------------------

    def __enter__(self) -> FakeFcm:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> FakeFcm:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(1024)
        self.port = sock.getsockname()[1]
        if self.in_process:
            # A plain child interpreter (not multiprocessing) so the caller's own script is not
            # imported again; it inherits the listening socket and says "ready" on stdout.
            command = [
                sys.executable,
                "-m",
                "tests.fakes.fcm",
                "--child-fd",
                str(sock.fileno()),
                "--materials",
                str(self.materials.directory),
                "--project",
                self.project_id,
                "--max-streams",
                str(self.max_streams),
            ]
            if not self.record:
                command.append("--no-record")
            if not self.validate:
                command.append("--no-validate")
            self._process = subprocess.Popen(
                command,
                cwd=Path(__file__).resolve().parents[2],
                pass_fds=[sock.fileno()],
                stdout=subprocess.PIPE,
                text=True,
            )
            sock.close()
            assert self._process.stdout is not None
            if self._process.stdout.readline().strip() != "ready":
                self.stop()
                raise RuntimeError("fake FCM process did not start")
            return self
        started = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(sock, started), name="fake-fcm", daemon=True
        )
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("fake FCM did not start")
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None
        if self._thread is not None and self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(10)
            self._thread = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _run(self, sock: socket.socket, started: Any) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._stop = asyncio.Event()
        ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_context.load_cert_chain(self.materials.cert_file, self.materials.key_file)
        ssl_context.set_alpn_protocols(["h2", "http/1.1"])
        connections: set[asyncio.Transport] = set()

        def protocol() -> _Connection:
            return _Connection(self._handle, connections, self.max_streams)

        async def main() -> None:
            server = await loop.create_server(protocol, sock=sock, ssl=ssl_context, backlog=1024)
            started.set()
            await self._stop.wait()
            server.close()
            for transport in list(connections):
                transport.abort()

        try:
            loop.run_until_complete(main())
        finally:
            loop.close()

    def _handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes, version: str
    ) -> tuple[int, Any, dict[str, str]]:
        if method == "POST" and path == "/token":
            return self._token(headers, body)
        match = SEND_PATH_RE.match(path)
        if method == "POST" and match:
            return self._send(match.group(1), headers, body, version)
        if method == "GET" and path == "/_fake/stats":
            with self._lock:
                return 200, {**self.stats, "token_requests": self.token_requests}, {}
        return 404, {"error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}}, {}

    def _token(self, headers: dict[str, str], body: bytes) -> tuple[int, Any, dict[str, str]]:
        form = dict(urllib.parse.parse_qsl(body.decode()))
        if form.get("grant_type") != JWT_GRANT or "assertion" not in form:
            return 400, {"error": "unsupported_grant_type"}, {}
        try:
            claims = jwt.decode(
                form["assertion"],
                self.materials.sa_public_pem,
                algorithms=["RS256"],
                audience=GOOGLE_TOKEN_AUDIENCE,
                issuer=self.client_email,
                options={"require": ["exp", "iat", "iss", "aud", "scope"]},
            )
        except jwt.PyJWTError as error:
            return 400, {"error": "invalid_grant", "error_description": str(error)}, {}
        if claims["exp"] - claims["iat"] > 3600:
            return 400, {"error": "invalid_grant", "error_description": "lifetime over 1h"}, {}
        if not MESSAGING_SCOPES & set(claims["scope"].split()):
            return 400, {"error": "invalid_scope"}, {}
        access_token = "ya29.fake-" + secrets.token_urlsafe(24)
        with self._lock:
            self._issued.add(access_token)
            self.token_requests += 1
        return 200, {"access_token": access_token, "expires_in": 3599, "token_type": "Bearer"}, {}

    def _send(
        self, project: str, headers: dict[str, str], raw: bytes, version: str
    ) -> tuple[int, Any, dict[str, str]]:
        bearer = headers.get("authorization", "").removeprefix("Bearer ")
        with self._lock:
            authorized = bearer in self._issued
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        extra: dict[str, str] = {}
        problems = []
        if not authorized:
            status, payload = (
                401,
                {
                    "error": {
                        "code": 401,
                        "message": "Request had invalid authentication credentials.",
                        "status": "UNAUTHENTICATED",
                    }
                },
            )
        elif project != self.project_id:
            status, payload = error_body("SENDER_ID_MISMATCH")
        elif body is None or not headers.get("content-type", "").startswith("application/json"):
            problems = [("", "body must be JSON")]
            status, payload = error_body("INVALID_ARGUMENT", "Invalid JSON payload.", problems)
        else:
            problems = validate_message(body) if self.validate else []
            if problems:
                status, payload = error_body(
                    "INVALID_ARGUMENT", "Request contains an invalid argument.", problems
                )
            else:
                status, payload, extra = self._answer(body["message"])
        recorded = Recorded(project, version, headers, body, status)
        with self._lock:
            self.stats["requests"] += 1
            self.stats[f"status_{status}"] += 1
            self.stats[f"http_{version}"] += 1
            self.violations.extend(problems)
            if self.record:
                self.requests.append(recorded)
            if "first_at" not in self.stats:
                self.stats["first_at"] = time.time()  # type: ignore[assignment]
            self.stats["last_at"] = time.time()  # type: ignore[assignment]
        return status, payload, extra

    def _answer(self, message: dict) -> tuple[int, Any, dict[str, str]]:
        target = next(message[t] for t in TARGETS if t in message)
        with self._lock:
            self._attempts[target] += 1
            failure = self._failures.get(target)
            if failure is not None and failure.times is not None:
                if failure.times <= 0:
                    failure = None
                else:
                    failure.times -= 1
            message_id = next(self._ids)
        if failure is not None:
            status, payload = error_body(failure.code)
            extra = {"retry-after": failure.retry_after} if failure.retry_after else {}
            return status, payload, extra
        return 200, {"name": f"projects/{self.project_id}/messages/{message_id}"}, {}


Handler = Callable[[str, str, dict[str, str], bytes, str], tuple[int, Any, dict[str, str]]]


class _Connection(asyncio.Protocol):
    """One client connection: HTTP/2 or HTTP/1.1, whichever ALPN chose.

    Written on h2 and h11 (the libraries httpx itself is built on) rather than a full ASGI
    server, so that the fake is quick, stops at once and is never the benchmark's bottleneck.
    """

    def __init__(
        self, handler: Handler, connections: set[asyncio.Transport], max_streams: int
    ) -> None:
        self._handler = handler
        self._max_streams = max_streams
        self._connections = connections
        self._transport: asyncio.Transport | None = None
        self._h2: h2.connection.H2Connection | None = None
        self._h11: h11.Connection | None = None
        self._streams: dict[int, tuple[dict[str, str], bytearray]] = {}
        self._blocked: dict[int, bytes] = {}  # stream id -> response bytes waiting for window
        self._request: tuple[str, str, dict[str, str], bytearray] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._connections.add(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:  # small responses must not wait for Nagle and delayed ACKs
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None and ssl_object.selected_alpn_protocol() == "h2":
            self._h2 = h2.connection.H2Connection(
                h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
            )
            self._h2.local_settings.max_concurrent_streams = self._max_streams
            # Google's front ends open 1 MiB windows (SETTINGS and a connection WINDOW_UPDATE).
            # With h2's default 64 KiB, 100 streams of a batch exhaust the connection window,
            # and httpcore 1.0.9 then sometimes waits on the socket for a WINDOW_UPDATE it has
            # already read (its _wait_for_outgoing_flow race): a request stalls until the
            # 120 s timeout. The fake must not add a stall FCM does not have.
            self._h2.local_settings.initial_window_size = GOOGLE_WINDOW
            self._h2.initiate_connection()
            self._h2.increment_flow_control_window(GOOGLE_WINDOW - 65_535)
            self._flush()
        else:
            self._h11 = h11.Connection(h11.SERVER)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._connections.discard(self._transport)

    def data_received(self, data: bytes) -> None:
        try:
            if self._h2 is not None:
                self._h2_received(data)
            else:
                self._h11_received(data)
        except (h2.exceptions.ProtocolError, h11.ProtocolError):
            if self._transport is not None:
                self._transport.close()

    def _flush(self) -> None:
        if self._h2 is not None and self._transport is not None:
            self._transport.write(self._h2.data_to_send())

    def _h2_received(self, data: bytes) -> None:
        assert self._h2 is not None
        for event in self._h2.receive_data(data):
            if isinstance(event, h2.events.RequestReceived):
                headers = {str(k).lower(): str(v) for k, v in event.headers}
                self._streams[event.stream_id] = (headers, bytearray())
            elif isinstance(event, h2.events.DataReceived):
                self._streams[event.stream_id][1].extend(event.data)
                self._h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                headers, body = self._streams.pop(event.stream_id)
                status, payload, extra = self._handler(
                    headers[":method"], headers[":path"].split("?")[0], headers, bytes(body), "2"
                )
                out = json.dumps(payload).encode()
                self._h2.send_headers(
                    event.stream_id,
                    [
                        (":status", str(status)),
                        ("content-type", "application/json; charset=UTF-8"),
                        ("content-length", str(len(out))),
                        *extra.items(),
                    ],
                )
                self._blocked[event.stream_id] = out
            elif isinstance(event, h2.events.StreamReset):
                self._streams.pop(event.stream_id, None)
                self._blocked.pop(event.stream_id, None)
            elif isinstance(event, h2.events.ConnectionTerminated):
                self._flush()
                if self._transport is not None:
                    self._transport.close()
                return
        self._send_blocked()
        self._flush()

    def _send_blocked(self) -> None:
        assert self._h2 is not None
        for stream_id, out in list(self._blocked.items()):
            window = min(
                self._h2.local_flow_control_window(stream_id), self._h2.max_outbound_frame_size
            )
            chunk, rest = out[:window], out[window:]
            if chunk or not out:
                self._h2.send_data(stream_id, chunk, end_stream=not rest)
            if rest:
                self._blocked[stream_id] = rest
            else:
                del self._blocked[stream_id]

    def _h11_received(self, data: bytes) -> None:
        assert self._h11 is not None and self._transport is not None
        self._h11.receive_data(data)
        while True:
            event = self._h11.next_event()
            if event is h11.NEED_DATA or (event is h11.PAUSED and not self._resume()):
                return
            if isinstance(event, h11.Request):
                headers = {k.decode().lower(): v.decode() for k, v in event.headers}
                path = event.target.decode().split("?")[0]
                self._request = (event.method.decode(), path, headers, bytearray())
            elif isinstance(event, h11.Data) and self._request is not None:
                self._request[3].extend(event.data)
            elif isinstance(event, h11.EndOfMessage) and self._request is not None:
                method, path, headers, body = self._request
                self._request = None
                status, payload, extra = self._handler(method, path, headers, bytes(body), "1.1")
                out = json.dumps(payload).encode()
                response = h11.Response(
                    status_code=status,
                    headers=[
                        ("content-type", "application/json; charset=UTF-8"),
                        ("content-length", str(len(out))),
                        *extra.items(),
                    ],
                )
                self._transport.write(self._h11.send(response) or b"")
                self._transport.write(self._h11.send(h11.Data(data=out)) or b"")
                self._transport.write(self._h11.send(h11.EndOfMessage()) or b"")
            elif isinstance(event, h11.ConnectionClosed):
                self._transport.close()
                return

    def _resume(self) -> bool:
        """After a response, get ready for the next request on a keep-alive connection."""
        assert self._h11 is not None and self._transport is not None
        if self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE:
            self._h11.start_next_cycle()
            return True
        self._transport.close()
        return False


def _client_ssl(ca_file: Path):
    return ssl.create_default_context(cafile=str(ca_file))


class _Ready:
    def set(self) -> None:
        print("ready", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Run the fake on its own: prints its URL and the service-account file it wrote."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default="loyalty-dev")
    parser.add_argument("--child-fd", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--materials", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--max-streams", type=int, default=100)
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--no-validate", action="store_true")
    args = parser.parse_args(argv)
    if args.child_fd is not None:  # started by FakeFcm(in_process=True)
        fake = FakeFcm(
            args.project,
            record=not args.no_record,
            validate=not args.no_validate,
            materials=Materials.load(args.materials),
            max_streams=args.max_streams,
        )
        sock = socket.socket(fileno=args.child_fd)
        fake.port = sock.getsockname()[1]
        with contextlib.suppress(KeyboardInterrupt):
            fake._run(sock, _Ready())
        return
    with FakeFcm(args.project, record=False) as fake:
        sa = fake.write_service_account(fake.materials.directory / "service-account.json")
        print(f"FCM_ENDPOINT={fake.url}")
        print(f"FIREBASE_CREDENTIALS={sa}")
        for key, value in fake.client_env().items():
            print(f"{key}={value}")
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
