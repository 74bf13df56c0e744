"""Rate limits: at most `limit` actions in any `period` seconds, a sliding window.

One implementation for every limit of intch (intro requests per day, messages per minute).
A limit keeps the times of the actions it allowed, at most `limit` of them: an action is
allowed while fewer than `limit` of those fall within the last `period` seconds. There are no
fixed clock windows, so a burst across a minute boundary gets no more than a burst within a
minute, and a refusal can say when the next action will be allowed.

Services mode (Redis): the check and the record are one Lua script on a sorted set, so they
are atomic across every web process and worker. The embedded default (a local memory cache in
one process): a lock makes them atomic. Time comes from `clock()` (the web servers' clocks,
which NTP keeps within far less than any period), so tests can step it.
"""

import math
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.cache import caches
from django_redis import get_redis_connection
from django_redis.cache import RedisCache

KEY_PREFIX = "ratelimit"

# KEYS[1]: a sorted set of the allowed actions' times. ARGV: now, period, limit, a unique member.
# Returns {1, ""} when the action is allowed (and recorded), else {0, seconds until it would be}.
_SLIDING_WINDOW = """
local now = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
if redis.call('ZCARD', KEYS[1]) < limit then
    redis.call('ZADD', KEYS[1], now, ARGV[4])
    redis.call('PEXPIRE', KEYS[1], math.ceil(period * 1000))
    return {1, ''}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tostring(tonumber(oldest[2]) + period - now)}
"""

_local_lock = threading.Lock()
_scripts: dict[int, Any] = {}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    # Seconds until the next action would be allowed (0 when this one was).
    retry_after: float = 0.0


def clock() -> float:
    """Now, in seconds since the epoch: the only clock the limits read."""
    return time.time()


def hit(*, key: str, limit: int, period: float) -> Decision:
    """Count one action under `key` if fewer than `limit` happened in the last `period` s.

    The action is recorded only when it is allowed, so refused attempts do not push the
    window on. A `limit` of 0 (or less) means no limit.
    """
    if limit <= 0:
        return Decision(allowed=True)
    cache = caches["default"]
    hit_in = _hit_redis if isinstance(cache, RedisCache) else _hit_local
    return hit_in(cache, f"{KEY_PREFIX}:{key}", limit=limit, period=period, now=clock())


def reset(*, key: str) -> None:
    """Forget every action counted under `key`."""
    caches["default"].delete(f"{KEY_PREFIX}:{key}")


def wait_text(seconds: float) -> str:
    """“12 seconds”, “3 minutes”, “about 5 hours”: how long until the next action."""
    seconds = max(math.ceil(seconds), 1)
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(seconds / 3600) or 1
    return f"about {hours} hour{'s' if hours != 1 else ''}"


def _hit_redis(cache: Any, key: str, *, limit: int, period: float, now: float) -> Decision:
    client = get_redis_connection("default")
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts.setdefault(id(client), client.register_script(_SLIDING_WINDOW))
    allowed, wait = script(
        keys=[cache.make_key(key)], args=[repr(now), period, limit, uuid.uuid4().hex]
    )
    if allowed:
        return Decision(allowed=True)
    return Decision(allowed=False, retry_after=max(float(wait), 0.0))


def _hit_local(cache: Any, key: str, *, limit: int, period: float, now: float) -> Decision:
    # The local memory cache lives in this process only, so a process-wide lock is enough.
    with _local_lock:
        times = [moment for moment in cache.get(key, ()) if moment > now - period]
        if len(times) < limit:
            cache.set(key, [*times, now], timeout=math.ceil(period))
            return Decision(allowed=True)
        return Decision(allowed=False, retry_after=max(min(times) + period - now, 0.0))
