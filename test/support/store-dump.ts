// Every key and value in the test Redis, for "the store did not change" assertions around a hostile request.
import type { TestRedis } from './redis-server.ts';

/** Key → value (hashes and sets as sorted JSON, zsets and lists in order); TTLs are left out. */
export async function dumpStore(redis: TestRedis): Promise<Record<string, string>> {
  const { client } = redis;
  const dump: Record<string, string> = {};
  for (const key of (await client.keys('*')).sort()) {
    const type = await client.type(key);
    if (type === 'hash') {
      const fields = await client.hgetall(key);
      dump[key] = JSON.stringify(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b)));
    } else if (type === 'string') {
      dump[key] = (await client.get(key)) ?? '';
    } else if (type === 'set') {
      dump[key] = JSON.stringify((await client.smembers(key)).sort());
    } else if (type === 'zset') {
      dump[key] = JSON.stringify(await client.zrange(key, '0', '-1', 'WITHSCORES'));
    } else {
      dump[key] = JSON.stringify(await client.lrange(key, 0, -1));
    }
  }
  return dump;
}
