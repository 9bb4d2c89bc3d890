"""Django's Redis cache backend, keeping one client object per connection pool.

Django's RedisCacheClient builds a new redis.Redis object for every cache operation (the pool is shared, the
client is not); building one fills its table of about 170 response callbacks, which cost more CPU than the
round trip to Redis. Every page reads the cache a few times (session, unread notices, province choices), so the
client is built once per pool and reused: redis.Redis objects are safe to share between threads.
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
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ReusedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
