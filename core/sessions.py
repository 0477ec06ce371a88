"""The session store: Django's database sessions, remembering when the loaded
session was due to expire, so ``core.middleware.SessionIdleMiddleware`` can tell
how long ago its idle clock was last restarted without a key of its own (a
session just saved by a login needs no second write on the next request)."""

import datetime as dt

from django.contrib.sessions.backends.db import SessionStore as DatabaseStore


class SessionStore(DatabaseStore):
    expires_at: dt.datetime | None = None  # the stored expiry of the session as loaded

    def _get_session_from_db(self):  # type: ignore[no-untyped-def]
        found = super()._get_session_from_db()  # type: ignore[misc]
        self.expires_at = found.expire_date if found is not None else None
        return found
