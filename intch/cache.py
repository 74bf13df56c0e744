"""Django's Redis cache backend, keeping one Redis client per connection pool.

Django's own client builds a new `redis.Redis` object for every cache operation, and that
constructor (its table of response callbacks) costs more than the round trip to Redis. Every
page makes several cache operations (session, header counts, cached fragments), so the client
is made once per pool here. `redis.Redis` is thread-safe: it takes a connection from the pool
for each command.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class IntchRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
