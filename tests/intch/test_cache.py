"""The Redis cache (services mode, django-redis) reuses its client instead of building one per
operation."""

import pytest
from django.core.cache import cache


@pytest.mark.services
def test_the_redis_cache_works_and_keeps_one_client(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (services mode: see .ci/run)")
    cache.set("intch:test:a", {"n": 1}, 30)
    assert cache.get("intch:test:a") == {"n": 1}
    assert cache.add("intch:test:a", 2) is False
    cache.delete_many(["intch:test:a"])
    assert cache.get("intch:test:a") is None
    client = cache.client
    assert client.get_client() is client.get_client()
    assert client.get_client(write=True) is client.get_client(write=True)
