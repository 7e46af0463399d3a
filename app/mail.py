"""Mail to people: a sender that logs (development) or SMTP (production), behind the outbox.

Mail is never sent inside a request: `send_later` writes an outbox job in the caller's
transaction, and a worker sends it after commit (retried with back-off on a temporary failure,
so a crash or an SMTP outage loses nothing). A job that must build its message at sending time
(the password reset, whose token is never stored in plain) calls `deliver` from its own job.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

from flask import current_app

from app.outbox import RetryLater, enqueue, handler

log = logging.getLogger(__name__)

TOPIC = "mail.send"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    language: str = "en"


class MailSender(Protocol):
    def send(self, mail: Mail) -> None: ...


class LoggingSender:
    """Development: the mail goes to the log (reset links included), nowhere else."""

    def send(self, mail: Mail) -> None:
        log.info("mail to %r: %s\n%s", mail.to, mail.subject, mail.text)


class SmtpSender:
    """SMTP with STARTTLS (verified against the system's CAs) and a login when one is set."""

    def __init__(
        self,
        host: str,
        port: int,
        mail_from: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        timeout: float = 10,
    ) -> None:
        self.host, self.port, self.mail_from = host, port, mail_from
        self.username, self.password = username, password
        self.starttls, self.timeout = starttls, timeout

    def message(self, mail: Mail) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.mail_from
        msg["To"] = mail.to
        msg["Subject"] = mail.subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain=self.mail_from.rpartition("@")[2] or None)
        msg.set_content(mail.text)
        # After set_content, which replaces every Content-* header.
        msg["Content-Language"] = mail.language
        return msg

    def send(self, mail: Mail) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(self.message(mail))


def sender_from_config(config: Any) -> MailSender:
    if not config.get("SMTP_HOST"):
        return LoggingSender()
    return SmtpSender(
        host=config["SMTP_HOST"],
        port=int(config.get("SMTP_PORT") or 587),
        mail_from=config.get("MAIL_FROM") or "",
        username=config.get("SMTP_USERNAME"),
        password=config.get("SMTP_PASSWORD"),
        starttls=bool(config.get("SMTP_STARTTLS", True)),
        timeout=float(config.get("SMTP_TIMEOUT_SECONDS") or 10),
    )


def deliver(mail: Mail) -> None:
    """Send now, from a background job. A refusal of the recipient or the message for good
    (5xx) is logged and dropped; anything else (the server down or busy, a TLS failure, a
    login or sender the operator must fix) is retried by the outbox with back-off."""
    sender = sender_from_config(current_app.config)
    try:
        sender.send(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        if all(code >= 500 for code, _ in exc.recipients.values()):
            log.warning("mail to %r refused for good: %r", mail.to, exc.recipients)
            return
        raise RetryLater(reason="recipient refused for now") from exc
    except smtplib.SMTPDataError as exc:
        if exc.smtp_code >= 500:
            log.warning("mail to %r refused for good: %s", mail.to, exc.smtp_code)
            return
        raise RetryLater(reason=f"SMTP {exc.smtp_code}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail to %r not sent, will retry: %s: %s", mail.to, type(exc).__name__, exc)
        raise RetryLater(reason=f"{type(exc).__name__}: {exc}") from exc


def send_later(mail: Mail) -> None:
    """Queue a mail in the current transaction; it is sent after commit."""
    enqueue(
        TOPIC,
        {"to": mail.to, "subject": mail.subject, "text": mail.text, "language": mail.language},
    )


@handler(TOPIC)
def _send(payload: dict[str, Any]) -> None:
    deliver(Mail(**payload))
