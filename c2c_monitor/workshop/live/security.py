"""Secrets and limits of the live server: join code, facilitator key, one-time form tokens, attempt limits.

The join code keeps out people who cannot see the projector (10 symbols of a 32-symbol alphabet without
look-alikes: about 50 bits, and wrong attempts are limited per address). The facilitator key is 192 random
bits in a URL printed only in the terminal. Every form carries a one-time token bound to the device that
loaded it: a missing, foreign or already used token is refused.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import OrderedDict, deque

JOIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a projector
JOIN_LENGTH = 10
MAX_BODY = 32 * 1024  # the largest form (one principle, 7 comments of 500 characters) is far below this
MAX_COMMENT = 500
WRONG_CODES_PER_MINUTE = 10
FORM_TOKENS_PER_DEVICE = 32  # open tabs / back button: older tokens than this are forgotten
MAX_DEVICES_PENDING = 5000  # devices that loaded a page but have not joined (bounded memory)


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_LENGTH))


def normalise_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())[: JOIN_LENGTH * 2]


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def new_token() -> str:
    return secrets.token_urlsafe(32)


class AttemptLimiter:
    """At most `limit` failures per client address in a sliding minute."""

    def __init__(self, limit: int = WRONG_CODES_PER_MINUTE, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._fails: dict[str, deque[float]] = {}

    def blocked(self, client: str) -> bool:
        q = self._fails.get(client)
        now = time.monotonic()
        while q and now - q[0] > self.window:
            q.popleft()
        return q is not None and len(q) >= self.limit

    def fail(self, client: str) -> None:
        self._fails.setdefault(client, deque()).append(time.monotonic())


class FormTokens:
    """One-time form tokens per device key (a device's token hash, or the facilitator's)."""

    def __init__(self) -> None:
        self._issued: OrderedDict[str, OrderedDict[str, None]] = OrderedDict()

    def issue(self, key: str) -> str:
        tok = secrets.token_urlsafe(24)
        bucket = self._issued.setdefault(key, OrderedDict())
        self._issued.move_to_end(key)
        bucket[tok] = None
        while len(bucket) > FORM_TOKENS_PER_DEVICE:
            bucket.popitem(last=False)
        while len(self._issued) > MAX_DEVICES_PENDING:
            self._issued.popitem(last=False)
        return tok

    def consume(self, key: str, tok: str | None) -> bool:
        bucket = self._issued.get(key)
        if not tok or bucket is None or tok not in bucket:
            return False
        del bucket[tok]
        return True
