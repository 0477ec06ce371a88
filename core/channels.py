"""Outbound channels behind one call: ``send(user, subject, text)``.

E-mail goes through Django's mail (``EMAIL_*`` settings: the console backend in
development, locmem in tests, SMTP in production) to the user's own address.
SMS goes through the backend named by ``SMS_BACKEND`` (a dotted path to an
``SMSBackend``; the seeds' 手机短信平台 is a vendor's HTTP API, plugged in as
one more backend) to the mobile number of the user's own member record only:
members' numbers are personal data, so nobody else's record is ever read for
it. orgs supplies that number through ``register_mobile`` (core keeps no link
to members). The default backend only logs: nothing is sent anywhere in
development or tests.

A channel that fails is logged and the others still go; a reminder is not
worth failing the beat job over one mail server.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from core.registry import Registry

logger = logging.getLogger("core.channels")


class SMSBackend:
    """What an SMS platform offers: send one text to one mobile number."""

    def send(self, number: str, text: str) -> None:
        raise NotImplementedError


class LoggingSMSBackend(SMSBackend):
    """Development and tests: log the message and keep it in ``records``
    (this process only; nothing leaves it)."""

    records: list[tuple[str, str]] = []

    def send(self, number: str, text: str) -> None:
        # Only the last four digits reach the log: it is a member's number.
        logger.info("SMS to …%s: %s", number[-4:], text)
        type(self).records.append((number, text))


_mobiles: Registry[Callable[[Any], str]] = Registry()
register_mobile = _mobiles.register


def mobile_of(user: Any) -> str:
    """The user's own mobile number ("" when none is known)."""
    for lookup in _mobiles.registered().values():
        number = lookup(user)
        if number:
            return number
    return ""


def sms_backend() -> SMSBackend:
    backend: SMSBackend = import_string(settings.SMS_BACKEND)()
    return backend


def send(user: Any, subject: str, text: str) -> list[str]:
    """Send through every configured channel the user can be reached on; returns
    the channels that went (``email``, ``sms``)."""
    sent = []
    channels = set(settings.NOTIFY_CHANNELS)
    if "email" in channels and user.email:
        try:
            send_mail(subject, text, None, [user.email])
            sent.append("email")
        except Exception:
            logger.exception("e-mail to user %s failed", user.pk)
    if "sms" in channels:
        number = mobile_of(user)
        if number:
            try:
                sms_backend().send(number, f"{subject}：{text}")
                sent.append("sms")
            except Exception:
                logger.exception("SMS to user %s failed", user.pk)
    return sent
