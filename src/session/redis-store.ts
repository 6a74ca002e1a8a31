// The Redis store: one Lua round trip per session read, fail-fast commands, reconnection in the background.
import { Redis } from 'ioredis';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { SessionRead, Store } from './store.ts';
import {
  absoluteDeadlineField,
  assertCallerFieldNames,
  assertMilliseconds,
} from './store-arguments.ts';

/** A request waits at most this long for Redis before the gateway answers 503. */
const defaultCommandTimeoutMs = 2_000;
/** A connection attempt to an unresponsive host is abandoned after this, then retried. */
const connectTimeoutMs = 3_000;
/** Reconnection backoff doubles from 100 ms up to this cap, so recovery is noticed within 2 s. */
const maxReconnectDelayMs = 2_000;

/**
 * ioredis attaches the command's arguments (session field values, sealed tokens among them) to
 * reply errors; the cause may be logged, so only the command name is kept.
 */
function withoutArguments(error: unknown): unknown {
  if (!(error instanceof Error) || !('command' in error)) return error;
  const command = error.command as { name?: unknown } | undefined;
  const safe = new Error(error.message);
  safe.name = error.name;
  if (error.stack !== undefined) safe.stack = error.stack;
  return Object.assign(safe, { command: { name: command?.name } });
}

function storeUnavailable(error: unknown): GatewayError {
  return new GatewayError(503, 'store_unavailable', 'the session store is unavailable', {
    cause: withoutArguments(error),
  });
}

/**
 * KEYS[1] session key; ARGV[1] now, ARGV[2] idle deadline (epoch ms), ARGV[3..] fields.
 * Returns nil, or the absolute deadline followed by the field values. The caller's clock decides
 * the absolute timeout so both stores judge it alike; Redis's clock only runs the expiry.
 */
const readSessionScript = `
local values = redis.call('HMGET', KEYS[1], '${absoluteDeadlineField}', unpack(ARGV, 3))
local absoluteDeadline = tonumber(values[1])
if absoluteDeadline == nil then return nil end
if absoluteDeadline <= tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return nil
end
local expireAt = ARGV[2]
if absoluteDeadline < tonumber(ARGV[2]) then expireAt = values[1] end
redis.call('PEXPIREAT', KEYS[1], expireAt)
return values`;

/** KEYS[1] session key; ARGV[1] absolute deadline, ARGV[2] expiry, ARGV[3..] field/value pairs. */
const createSessionScript = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '${absoluteDeadlineField}', ARGV[1], unpack(ARGV, 3))
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1`;

/** KEYS[1] session key; ARGV field/value pairs. HSET keeps the key's expiry. */
const updateSessionScript = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if #ARGV > 0 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return 1`;

/** The commands `defineCommand` adds (EVALSHA, falling back to EVAL when the script is not loaded). */
interface ScriptCommands {
  readSession(key: string, ...args: string[]): Promise<(string | null)[] | null>;
  createSession(key: string, ...args: string[]): Promise<number>;
  updateSession(key: string, ...args: string[]): Promise<number>;
}

export interface RedisStoreOptions {
  /** redis:// or rediss:// URL; it may hold a password, so it is never logged. */
  readonly url: string;
  readonly logger: Logger;
  readonly commandTimeoutMs?: number;
}

export class RedisStore implements Store {
  readonly #client: Redis & ScriptCommands;
  #closing: Promise<void> | null = null;

  constructor(options: RedisStoreOptions) {
    const client = new Redis(options.url, {
      // Fail fast while disconnected: a queued command would hold the request open instead of a 503.
      enableOfflineQueue: false,
      commandTimeout: options.commandTimeoutMs ?? defaultCommandTimeoutMs,
      connectTimeout: connectTimeoutMs,
      // A command caught by a dropped connection is resent once after reconnecting, then fails.
      maxRetriesPerRequest: 1,
      // Never give up: the gateway starts without Redis and recovers when it comes back.
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 16), maxReconnectDelayMs),
    });
    client.defineCommand('readSession', { numberOfKeys: 1, lua: readSessionScript });
    client.defineCommand('createSession', { numberOfKeys: 1, lua: createSessionScript });
    client.defineCommand('updateSession', { numberOfKeys: 1, lua: updateSessionScript });
    this.#client = client as Redis & ScriptCommands;
    logConnectionState(client, options.logger);
  }

  async readSession(
    key: string,
    fields: readonly string[],
    idleDeadlineMs: number,
  ): Promise<SessionRead | null> {
    assertCallerFieldNames(fields);
    assertMilliseconds('idleDeadlineMs', idleDeadlineMs);
    const now = String(Date.now());
    const reply = await this.#run(() =>
      this.#client.readSession(key, now, String(idleDeadlineMs), ...fields),
    );
    if (reply === null) return null;
    const [absoluteDeadline, ...values] = reply;
    return { absoluteDeadlineMs: Number(absoluteDeadline), values };
  }

  async createSession(
    key: string,
    fields: Readonly<Record<string, string>>,
    absoluteDeadlineMs: number,
    idleDeadlineMs: number,
  ): Promise<void> {
    assertCallerFieldNames(Object.keys(fields));
    assertMilliseconds('absoluteDeadlineMs', absoluteDeadlineMs);
    assertMilliseconds('idleDeadlineMs', idleDeadlineMs);
    const expireAt = String(Math.min(absoluteDeadlineMs, idleDeadlineMs));
    const pairs = Object.entries(fields).flat();
    await this.#run(() =>
      this.#client.createSession(key, String(absoluteDeadlineMs), expireAt, ...pairs),
    );
  }

  async updateSession(key: string, fields: Readonly<Record<string, string>>): Promise<boolean> {
    assertCallerFieldNames(Object.keys(fields));
    const pairs = Object.entries(fields).flat();
    const updated = await this.#run(() => this.#client.updateSession(key, ...pairs));
    return updated === 1;
  }

  async deleteSessionFields(key: string, fields: readonly string[]): Promise<void> {
    assertCallerFieldNames(fields);
    if (fields.length === 0) return;
    await this.#run(() => this.#client.hdel(key, ...fields));
  }

  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    assertMilliseconds('ttlMs', ttlMs, 1);
    const reply = await this.#run(() => this.#client.set(key, '1', 'PX', ttlMs, 'NX'));
    return reply === 'OK';
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.#run(() => this.#client.del(...keys));
  }

  async ping(): Promise<void> {
    await this.#run(() => this.#client.ping());
  }

  close(): Promise<void> {
    this.#closing ??= this.#quit();
    return this.#closing;
  }

  async #quit(): Promise<void> {
    if (this.#client.status !== 'ready') {
      this.#client.disconnect();
      return;
    }
    try {
      await this.#client.quit();
    } catch {
      // QUIT failed because the connection already broke: dropping the socket is all that is left.
      this.#client.disconnect();
    }
  }

  async #run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw storeUnavailable(error);
    }
  }
}

/**
 * Logs transitions, not every retry: while Redis stays down ioredis reports an error and a
 * reconnection every two seconds, which would drown the log. Messages never include the URL.
 */
function logConnectionState(client: Redis, logger: Logger): void {
  let connected = false;
  let lastError: string | null = null;
  let reconnecting = false;
  client.on('ready', () => {
    connected = true;
    lastError = null;
    reconnecting = false;
    logger.info('session store connected');
  });
  client.on('error', (error: Error) => {
    if (error.message === lastError) return;
    lastError = error.message;
    logger.warn({ error: error.message }, 'session store connection error');
  });
  client.on('reconnecting', (delayMs: number) => {
    if (reconnecting) return;
    reconnecting = true;
    const message = connected
      ? 'session store disconnected, reconnecting'
      : 'session store reconnecting';
    logger.warn({ delayMs }, message);
  });
}
