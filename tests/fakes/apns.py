"""A fake APNs: a real HTTP/2 server over TLS on 127.0.0.1 that records what clients send.

It speaks only h2 (as APNs does), asks for a client certificate and checks it like APNs does for
certificate-based providers: the apns-topic must be the certificate's UID (its pass type id).
Tell it which tokens are gone (410) or which status to answer for a token.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

import h2.config
import h2.connection
import h2.events
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class ApnsRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client_cert: x509.Certificate | None
    alpn: str | None
    connection: int  # which TLS connection carried it, counted from 1

    @property
    def token(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def payload(self) -> object:
        return json.loads(self.body) if self.body else None


@dataclass
class _Stream:
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)


class FakeApns:
    def __init__(self, server_cert: Path, server_key: Path, client_cas: Sequence[Path]) -> None:
        """client_cas: the roots and intermediates a client certificate may chain to (APNs
        knows Apple's WWDR intermediates; a client sends only its own certificate)."""
        self.requests: list[ApnsRequest] = []
        self.gone_tokens: set[str] = set()
        self.status_for_token: dict[str, tuple[int, str]] = {}
        self._lock = threading.Lock()
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(str(server_cert), str(server_key))
        for ca in client_cas:
            self._context.load_verify_locations(str(ca))
        # Optional so that a client without a certificate still reaches us and gets APNs' 403.
        self._context.verify_mode = ssl.CERT_OPTIONAL
        self._context.set_alpn_protocols(["h2"])
        self._listener = socket.create_server(("127.0.0.1", 0))
        # Short waits: stop() joins the threads, and every test starts and stops a server.
        self._listener.settimeout(0.02)
        self.port = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.connections = 0

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> FakeApns:
        thread = threading.Thread(target=self._accept_loop, name="fake-apns", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def __enter__(self) -> FakeApns:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                raw, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(raw,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, raw: socket.socket) -> None:
        try:
            conn = self._context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        with self._lock:
            self.connections += 1
            connection = self.connections
        der = conn.getpeercert(binary_form=True)
        client_cert = x509.load_der_x509_certificate(der) if der else None
        alpn = conn.selected_alpn_protocol()
        h2conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        h2conn.initiate_connection()
        conn.sendall(h2conn.data_to_send())
        conn.settimeout(0.02)
        streams: dict[int, _Stream] = {}
        try:
            while not self._stopping.is_set():
                try:
                    data = conn.recv(65535)
                except TimeoutError:
                    continue
                if not data:
                    break
                for event in h2conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        streams[event.stream_id] = _Stream(headers=dict(event.headers))
                    elif isinstance(event, h2.events.DataReceived):
                        streams[event.stream_id].body.extend(event.data)
                        h2conn.acknowledge_received_data(
                            event.flow_controlled_length, event.stream_id
                        )
                    elif isinstance(event, h2.events.StreamEnded):
                        stream = streams.pop(event.stream_id)
                        self._answer(h2conn, event.stream_id, stream, client_cert, alpn, connection)
                    elif isinstance(event, h2.events.ConnectionTerminated):
                        return
                conn.sendall(h2conn.data_to_send())
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def _answer(
        self,
        h2conn: h2.connection.H2Connection,
        stream_id: int,
        stream: _Stream,
        client_cert: x509.Certificate | None,
        alpn: str | None,
        connection: int,
    ) -> None:
        headers = {k: v for k, v in stream.headers.items() if not k.startswith(":")}
        request = ApnsRequest(
            method=stream.headers.get(":method", ""),
            path=stream.headers.get(":path", ""),
            headers=headers,
            body=bytes(stream.body),
            client_cert=client_cert,
            alpn=alpn,
            connection=connection,
        )
        with self._lock:
            self.requests.append(request)
        status, reason = self._decide(request)
        response_headers = [(":status", str(status)), ("apns-id", str(uuid.uuid4()).upper())]
        if status == 200:
            h2conn.send_headers(stream_id, response_headers, end_stream=True)
            return
        body = {"reason": reason}
        if status == 410:
            body["timestamp"] = int(time.time() * 1000)
        data = json.dumps(body).encode()
        response_headers.append(("content-type", "application/json"))
        h2conn.send_headers(stream_id, response_headers)
        h2conn.send_data(stream_id, data, end_stream=True)

    def _decide(self, request: ApnsRequest) -> tuple[int, str]:
        if request.method != "POST":
            return 405, "MethodNotAllowed"
        if not request.path.startswith("/3/device/"):
            return 404, "BadPath"
        if request.client_cert is None:
            return 403, "MissingProviderToken"
        topic = request.headers.get("apns-topic")
        if not topic:
            return 400, "MissingTopic"
        uids = request.client_cert.subject.get_attributes_for_oid(NameOID.USER_ID)
        if not uids or uids[0].value != topic:
            return 400, "TopicDisallowed"
        if not request.body:
            return 400, "PayloadEmpty"
        try:
            json.loads(request.body)
        except ValueError:
            return 400, "BadPayload"  # not APNs' word, but a malformed body must not pass
        if request.token in self.status_for_token:
            return self.status_for_token[request.token]
        if request.token in self.gone_tokens:
            return 410, "Unregistered"
        return 200, ""


def make_server_tls(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for 127.0.0.1: (ca.pem, server.pem, server-key.pem)."""
    now = datetime.now(UTC) - timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake APNs test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    paths = (directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths
