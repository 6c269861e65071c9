"""Sending one delivery: one attempt (a signed POST to the webhook, or an e-mail), recorded on the row with
what comes next (delivered, retry after a backoff, or failed after PORTICO_NOTIFY_MAX_ATTEMPTS)."""

import http.client
import logging
import random
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F
from django.utils import timezone

from core import outbound
from core.crypto import DecryptionError
from core.logs import log_context

from .choices import DeliveryStatusChoices as Status
from .messages import (
    BACKOFF_CAP,
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    backoff,
    email_message,
    encode,
    signature,
)
from .models import NotificationDelivery

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    ok: bool
    transient: bool = False
    code: int | None = None
    error: str = ""
    retry_after: float | None = None


@dataclass(frozen=True)
class Outcome:
    status: str  # a DeliveryStatusChoices value, or "skipped" when there was nothing to do
    retry_in: float | None = None  # seconds until the next attempt, when one is planned


def send_delivery(delivery_id: int, *, now: datetime | None = None, rand=random.random) -> Outcome:
    """Make one attempt at a pending, due delivery and record it: delivered; pending with the next attempt
    planned after a transient failure (connection error, timeout, 429, 5xx); failed after a permanent one
    or PORTICO_NOTIFY_MAX_ATTEMPTS attempts. A delivery already sent, failed, not yet due, or being sent
    by another worker is skipped, so duplicate wake-ups never send twice."""
    now = now or timezone.now()
    lease = timedelta(seconds=max(60.0, 3 * settings.PORTICO_NOTIFY_TIMEOUT))
    claimed = NotificationDelivery.objects.filter(
        pk=delivery_id, status=Status.PENDING, next_attempt_at__lte=now
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + lease)
    if not claimed:
        return Outcome("skipped")
    delivery = NotificationDelivery.objects.select_related("webhook").get(pk=delivery_id)
    with log_context(route_id=delivery.route_id):
        attempt = _send_email(delivery) if delivery.email else _post_webhook(delivery)
        return _record(delivery, attempt, now, rand)


def _record(delivery: NotificationDelivery, attempt: Attempt, now: datetime, rand) -> Outcome:
    values: dict[str, Any] = {"response_code": attempt.code, "last_error": attempt.error[:2000]}
    retry_in = None
    if attempt.ok:
        values.update(status=Status.DELIVERED, delivered_at=now)
    elif attempt.transient and delivery.attempts < settings.PORTICO_NOTIFY_MAX_ATTEMPTS:
        retry_in = backoff(delivery.attempts, retry_after=attempt.retry_after, rand=rand)
        values.update(status=Status.PENDING, next_attempt_at=now + timedelta(seconds=retry_in))
    else:
        values["status"] = Status.FAILED
        if attempt.transient:
            values["last_error"] = f"{attempt.error} (gave up after {delivery.attempts} attempts)"[:2000]
    NotificationDelivery.objects.filter(pk=delivery.pk).update(**values)
    log = logger.info if attempt.ok else logger.warning
    log(
        "notification delivery=%s event=%s attempt=%s %s%s",
        delivery.pk,
        delivery.event,
        delivery.attempts,
        values["status"],
        f": {values['last_error']}" if values["last_error"] else "",
    )
    return Outcome(values["status"], retry_in)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook answering a redirect fails: following it would send the signed body somewhere unreviewed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = outbound.build_opener(_NoRedirect)


def _post_webhook(delivery: NotificationDelivery) -> Attempt:
    webhook = delivery.webhook
    if webhook is None:
        return Attempt(ok=False, error="The webhook was deleted.")
    if not webhook.url.lower().startswith(("http://", "https://")):
        return Attempt(ok=False, error="Only http:// and https:// webhook URLs are allowed.")
    try:
        secret = webhook.get_secret()
    except DecryptionError as exc:
        return Attempt(ok=False, error=str(exc))
    body = encode(delivery.payload)
    request = urllib.request.Request(
        webhook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Portico-Webhook/1",
            SIGNATURE_HEADER: signature(secret, body),
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: str(delivery.pk),
        },
    )
    try:
        with _opener.open(request, timeout=settings.PORTICO_NOTIFY_TIMEOUT) as response:
            return Attempt(ok=True, code=response.status)
    except urllib.error.HTTPError as exc:
        transient = exc.code == 429 or exc.code >= 500
        return Attempt(
            ok=False,
            transient=transient,
            code=exc.code,
            error=f"HTTP {outbound.status_text(exc.code)}",
            retry_after=_retry_after(exc.headers.get("Retry-After") if exc.headers else None),
        )
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, outbound.BlockedAddress):
            return Attempt(ok=False, error=f"Not sent: {exc.reason}")
        return Attempt(ok=False, transient=True, error=f"Could not connect: {exc.reason}")
    except (OSError, http.client.HTTPException) as exc:  # timeouts, resets, malformed answers
        return Attempt(ok=False, transient=True, error=f"Could not connect: {type(exc).__name__}: {exc}")


def _retry_after(value: str | None) -> float | None:
    try:
        return min(BACKOFF_CAP, max(0.0, float(value))) if value else None
    except ValueError:
        return None  # an HTTP date: the backoff is used instead


def _send_email(delivery: NotificationDelivery) -> Attempt:
    subject, body = email_message(delivery.payload)
    message = EmailMessage(
        subject, body, to=[delivery.email], headers={EVENT_HEADER: delivery.event, DELIVERY_HEADER: str(delivery.pk)}
    )
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        return Attempt(ok=False, error=f"The mail server refused the address: {exc.recipients}")
    except (smtplib.SMTPException, OSError) as exc:
        return Attempt(ok=False, transient=True, error=f"{type(exc).__name__}: {exc}")
    return Attempt(ok=True)
