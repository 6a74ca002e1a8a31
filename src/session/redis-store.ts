// The Redis store: one Lua round trip per session read, fail-fast commands, reconnection in the background.
import { Redis } from 'ioredis';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Logger } from '../observability/logger.ts';
import { noMetrics, type GatewayMetrics } from '../observability/gateway-metrics.ts';
import { logConnectionState } from './redis-connection-log.ts';
import { defineScripts, type ScriptCommands } from './redis-scripts.ts';
import type { SessionRead, Store } from './store.ts';
import {
  assertCallerFieldNames,
  assertMilliseconds,
  assertReleaseArguments,
  assertReplaceArguments,
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

/** Retry-After of a store outage: about the reconnection backoff, so browsers back off as for a provider's. */
export const storeRetryAfterSeconds = 1;

function storeUnavailable(error: unknown): GatewayError {
  return new GatewayError(503, 'store_unavailable', 'the session store is unavailable', {
    retryAfterSeconds: storeRetryAfterSeconds,
    cause: withoutArguments(error),
  });
}

export interface RedisStoreOptions {
  /** redis:// or rediss:// URL; it may hold a password, so it is never logged. */
  readonly url: string;
  readonly logger: Logger;
  readonly commandTimeoutMs?: number;
  /** Counts failed commands (`bff_store_errors_total`). */
  readonly metrics?: GatewayMetrics;
}

export class RedisStore implements Store {
  readonly #client: Redis & ScriptCommands;
  readonly #metrics: GatewayMetrics;
  #closing: Promise<void> | null = null;

  constructor(options: RedisStoreOptions) {
    const commandTimeoutMs = options.commandTimeoutMs ?? defaultCommandTimeoutMs;
    const client = new Redis(options.url, {
      // Fail fast while disconnected: a queued command would hold the request open instead of a 503.
      enableOfflineQueue: false,
      commandTimeout: commandTimeoutMs,
      // A stalled Redis (frozen process, black-holed network) keeps the socket open, so nothing
      // else notices: every request would wait its full command timeout and the timed-out
      // commands would pile up on the connection. No reply for that long drops the connection
      // instead; until a new one is ready, requests fail at once.
      socketTimeout: commandTimeoutMs,
      connectTimeout: connectTimeoutMs,
      // A command caught by a dropped connection is resent once after reconnecting, then fails.
      maxRetriesPerRequest: 1,
      // Never give up: the gateway starts without Redis and recovers when it comes back.
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 16), maxReconnectDelayMs),
    });
    this.#client = defineScripts(client);
    this.#metrics = options.metrics ?? noMetrics;
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

  async takeSession(key: string, fields: readonly string[]): Promise<SessionRead | null> {
    assertCallerFieldNames(fields);
    const now = String(Date.now());
    const reply = await this.#run(() => this.#client.takeSession(key, now, ...fields));
    if (reply === null) return null;
    const [absoluteDeadline, ...values] = reply;
    return { absoluteDeadlineMs: Number(absoluteDeadline), values };
  }

  async deleteSessionFields(key: string, fields: readonly string[]): Promise<void> {
    assertCallerFieldNames(fields);
    if (fields.length === 0) return;
    await this.#run(() => this.#client.hdel(key, ...fields));
  }

  async replaceSessionFields(
    key: string,
    expected: { readonly field: string; readonly value: string },
    set: Readonly<Record<string, string>>,
    remove: readonly string[],
  ): Promise<boolean> {
    assertReplaceArguments(expected.field, set, remove);
    const pairs = Object.entries(set).flat();
    const setCount = String(pairs.length / 2);
    const replaced = await this.#run(() =>
      this.#client.replaceSessionFields(
        key,
        expected.field,
        expected.value,
        setCount,
        ...pairs,
        ...remove,
      ),
    );
    return replaced === 1;
  }

  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    assertMilliseconds('ttlMs', ttlMs, 1);
    const reply = await this.#run(() => this.#client.set(key, '1', 'PX', ttlMs, 'NX'));
    return reply === 'OK';
  }

  async acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    assertMilliseconds('ttlMs', ttlMs, 1);
    const reply = await this.#run(() => this.#client.set(key, owner, 'PX', ttlMs, 'NX'));
    return reply === 'OK';
  }

  async readLock(key: string): Promise<string | null> {
    return this.#run(() => this.#client.get(key));
  }

  async releaseLock(
    key: string,
    owner: string,
    outcome?: { readonly value: string; readonly ttlMs: number },
  ): Promise<boolean> {
    assertReleaseArguments(owner, outcome);
    const outcomeArguments = outcome === undefined ? [] : [outcome.value, String(outcome.ttlMs)];
    const released = await this.#run(() =>
      this.#client.releaseLock(key, owner, ...outcomeArguments),
    );
    return released === 1;
  }

  async addToIndex(key: string, member: string, ttlMs: number): Promise<void> {
    assertMilliseconds('ttlMs', ttlMs, 1);
    await this.#run(() => this.#client.addToIndex(key, member, String(ttlMs)));
  }

  async removeFromIndex(key: string, members: readonly string[]): Promise<void> {
    if (members.length === 0) return;
    await this.#run(() => this.#client.srem(key, ...members));
  }

  async takeIndex(key: string): Promise<string[]> {
    return this.#run(() => this.#client.takeIndex(key));
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.#run(() => this.#client.del(...keys));
  }

  /**
   * Calls `listener` with the connection's state now and at every change: true once it is ready,
   * false as soon as it closes (the session read cache stops serving while the store is unreachable).
   */
  watchConnection(listener: (ready: boolean) => void): void {
    listener(this.#client.status === 'ready');
    this.#client.on('ready', () => listener(true));
    this.#client.on('close', () => listener(false));
  }

  /** PUBLISH on the store's connection (session-write announcements, redis-invalidations.ts). */
  async publish(channel: string, message: string): Promise<void> {
    await this.#run(() => this.#client.publish(channel, message));
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
      this.#metrics.countStoreError();
      throw storeUnavailable(error);
    }
  }
}
