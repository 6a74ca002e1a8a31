// The pid of the redis-server the suite started (INFO server), so it can be pinned off the server core.
import type { Redis } from 'ioredis';

export async function redisServerPid(client: Redis): Promise<number> {
  const pid = Number(/^process_id:(\d+)/m.exec(await client.info('server'))?.[1]);
  if (!Number.isInteger(pid)) throw new Error('redis-server reported no process_id');
  return pid;
}
