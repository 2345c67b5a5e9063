"""Email over SMTP (aiosmtplib): one multipart/alternative message (plain text + HTML) per send.

``SmtpEmailSender.send`` never raises for a delivery problem; it returns a ``DeliveryResult``:

* ``SENT`` with the server's final answer;
* ``FAILED`` and ``transient=True`` when the same message may go through later: connection refused
  or dropped, timeouts, any 4xx answer, and 5xx answers at greeting/EHLO/AUTH (a server or
  configuration fault that an operator fixes, not a property of this message);
* ``FAILED`` and ``transient=False`` for 5xx answers to MAIL, RCPT or DATA (recipient unknown,
  message refused): retrying cannot help.

Log lines carry only the masked recipient; the body (which may hold a code) is never logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import aiosmtplib
from servicekit.clock import Clock, SystemClock
from servicekit.masking import mask_email

from tqr_notification.domain.delivery import DeliveryResult, scrub
from tqr_notification.domain.rendering import RenderedMessage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    from_address: str
    from_name: str = "教师资格定期注册"
    starttls: bool = False
    # Implicit TLS from the first byte (port 465); exclusive with ``starttls``.
    use_tls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = 15.0
    validate_certs: bool = True

    def __post_init__(self) -> None:
        if self.starttls and self.use_tls:
            raise ValueError("choose STARTTLS or implicit TLS, not both")


def build_email_message(
    settings: SmtpSettings,
    to: str,
    rendered: RenderedMessage,
    *,
    clock: Clock | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """A UTF-8 multipart/alternative message; non-ASCII headers are RFC 2047 encoded on output."""
    if rendered.subject is None:
        raise ValueError("an email needs a subject")
    msg = EmailMessage()
    local, _, domain = settings.from_address.partition("@")
    msg["From"] = Address(display_name=settings.from_name, username=local, domain=domain)
    msg["To"] = to
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime((clock or SystemClock()).now())
    # A stable Message-ID across retries lets receiving servers drop a duplicate.
    msg["Message-ID"] = message_id or make_msgid(domain=domain or None)
    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    if rendered.html is not None:
        msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return msg


def classify_smtp_error(error: Exception) -> DeliveryResult:
    """Map an aiosmtplib exception (or OSError) to a failed ``DeliveryResult``."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in error.recipients]
        answer = "; ".join(f"{r.code} {r.message}" for r in error.recipients)
        return DeliveryResult.failed(answer, transient=all(400 <= c < 500 for c in codes))
    if isinstance(error, aiosmtplib.SMTPConnectResponseError | aiosmtplib.SMTPHeloError):
        return DeliveryResult.failed(f"{error.code} {error.message}", transient=True)
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return DeliveryResult.failed(f"{error.code} {error.message}", transient=True)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return DeliveryResult.failed(f"{error.code} {error.message}", transient=error.code < 500)
    # Timeouts, refused or dropped connections, TLS negotiation problems: the server side may heal.
    return DeliveryResult.failed(f"{type(error).__name__}: {error}", transient=True)


class SmtpEmailSender:
    def __init__(self, settings: SmtpSettings, clock: Clock | None = None) -> None:
        self._settings = settings
        self._clock = clock or SystemClock()

    async def send(
        self, to: str, rendered: RenderedMessage, *, message_id: str | None = None
    ) -> DeliveryResult:
        message = build_email_message(self._settings, to, rendered, clock=self._clock, message_id=message_id)
        s = self._settings
        try:
            errors, answer = await aiosmtplib.send(
                message,
                hostname=s.host,
                port=s.port,
                username=s.username,
                password=s.password,
                start_tls=s.starttls,
                use_tls=s.use_tls,
                timeout=s.timeout_seconds,
                validate_certs=s.validate_certs,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            result = _scrubbed(classify_smtp_error(error), to)
            logger.warning(
                "email not sent",
                extra={"to": mask_email(to), "transient": result.transient, "answer": result.provider_answer},
            )
            return result
        if errors:  # only partial refusals land here; we send to one recipient
            answer = "; ".join(f"{addr}: {r.code} {r.message}" for addr, r in errors.items())
            return _scrubbed(DeliveryResult.failed(answer, transient=False), to)
        logger.info("email sent", extra={"to": mask_email(to)})
        return DeliveryResult.delivered(scrub(answer, to), message_id=str(message["Message-ID"]))


def _scrubbed(result: DeliveryResult, to: str) -> DeliveryResult:
    return DeliveryResult(
        result.status, scrub(result.provider_answer, to), result.transient, result.provider_message_id
    )
