"""A local SMTP server (aiosmtpd) for the mail tests: STARTTLS with a test CA, a login, and
a record of what the client sent; the app's real smtplib talks to it.

Clients trust its certificate through ``client_env()`` (``SSL_CERT_FILE``, read by OpenSSL
when the client makes its default TLS context). ``fail(code)`` makes the next deliveries be
answered with an SMTP error at RCPT, as a real server's temporary or permanent refusal.
"""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.fakes.fcm import Materials


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    # Whether the client had switched to TLS, and as whom it logged in, when it sent DATA.
    tls: bool
    login: str | None


@dataclass
class _State:
    received: list[Received] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler:
    def __init__(self, state: _State) -> None:
        self.state = state

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        with self.state.lock:
            if self.state.failures:
                return self.state.failures.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        login = session.login_data.decode() if session.login_data else None
        with self.state.lock:
            self.state.received.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    message=message,  # type: ignore[arg-type]
                    tls=session.ssl is not None,
                    login=login,
                )
            )
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeSmtp:
    def __init__(self, directory: Path, username: str = "mailer", password: str = "s3cret") -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.materials = Materials.create(directory)
        self.username, self.password = username, password
        self.host = "127.0.0.1"
        self.port = _free_port()
        self._state = _State()
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(self.materials.cert_file, self.materials.key_file)
        self._controller = Controller(
            _Handler(self._state),
            hostname=self.host,
            port=self.port,
            tls_context=tls,
            # Like a submission server: nothing before STARTTLS, and only a known login.
            require_starttls=True,
            auth_required=True,
            auth_require_tls=True,
            authenticator=self._authenticate,
            decode_data=False,
        )

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        ok = (auth_data.login.decode(), auth_data.password.decode()) == (
            self.username,
            self.password,
        )
        with self._state.lock:
            self._state.logins.append((auth_data.login.decode(), ok))
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    def start(self) -> FakeSmtp:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> FakeSmtp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client_env(self) -> dict[str, str]:
        return {"SSL_CERT_FILE": str(self.materials.ca_file)}

    def settings(self) -> dict[str, object]:
        """The app's SMTP settings for this server."""
        return {
            "SMTP_HOST": self.host,
            "SMTP_PORT": self.port,
            "SMTP_USERNAME": self.username,
            "SMTP_PASSWORD": self.password,
            "SMTP_STARTTLS": True,
            "MAIL_FROM": "Lumo Rewards <no-reply@loyalty.test>",
        }

    def fail(self, reply: str, times: int = 1) -> None:
        """Answer the next `times` recipients with this SMTP reply, e.g. "451 4.3.0 busy"."""
        with self._state.lock:
            self._state.failures += [reply] * times

    @property
    def received(self) -> list[Received]:
        with self._state.lock:
            return list(self._state.received)

    @property
    def logins(self) -> list[tuple[str, bool]]:
        with self._state.lock:
            return list(self._state.logins)
