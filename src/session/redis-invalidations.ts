// Session-write announcements over Redis pub/sub: every replica forgets a changed session at once, and stops caching while it might miss an announcement.
import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import type { SessionReadCache } from './session-read-cache.ts';

/** How often the subscriber's connection is checked: a connection dropped without a word (an idle timeout in a load balancer) would otherwise go unnoticed. */
const pingIntervalMs = 5_000;
/** A check (or a subscription) unanswered for this long drops the connection: the cache stops. */
const replyTimeoutMs = 2_000;

export interface RedisInvalidationsOptions {
  /** The store's URL: the subscriber is a connection of its own (a subscribed one can send nothing else). */
  readonly url: string;
  /** `${REDIS_KEY_PREFIX}session-writes`: deployments sharing a Redis under other prefixes are not disturbed. */
  readonly channel: string;
  readonly cache: SessionReadCache;
  /** Sends on the store's own connection (PUBLISH is an ordinary command there). */
  readonly publish: (channel: string, message: string) => Promise<unknown>;
  /** The store's own connection state (RedisStore.watchConnection). */
  readonly watchStore: (listener: (ready: boolean) => void) => void;
  readonly logger: Logger;
}

/**
 * The cache serves reads only while the subscription is confirmed and the store's own connection
 * is up. At the first sign of trouble on the subscriber's connection (closed, an error, a check
 * unanswered) announcements may be lost to it, so whatever the cache held is dropped and nothing
 * is kept until it has subscribed again. The store's connection closing stops it as well: a store
 * known to be unreachable is answered 503 at once, as without the cache, rather than from memory.
 * Messages are store keys (digests of session ids), never a session id.
 */
export class RedisInvalidations {
  readonly #options: RedisInvalidationsOptions;
  readonly #subscriber: Redis;
  readonly #pingTimer: NodeJS.Timeout;
  #closed = false;
  #subscribed = false;
  #storeReady = false;

  constructor(options: RedisInvalidationsOptions) {
    this.#options = options;
    const { cache, channel, logger } = options;
    this.#subscriber = new Redis(options.url, {
      // Subscribed by hand on every `ready`, so the cache resumes only once the subscription is confirmed.
      autoResubscribe: false,
      enableOfflineQueue: false,
      commandTimeout: replyTimeoutMs,
      socketTimeout: replyTimeoutMs,
      connectTimeout: 3_000,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 16), 2_000),
    });
    this.#subscriber.on('ready', () => {
      this.#subscriber.subscribe(channel).then(
        () => this.#setSubscribed(true),
        (error: unknown) => {
          logger.warn({ error: String(error) }, 'session cache: subscription failed');
          this.#subscriber.disconnect(true); // reconnect, and subscribe again on `ready`
        },
      );
    });
    // The store's own connection logs outages; here only what they mean for the cache.
    this.#subscriber.on('close', () => this.#setSubscribed(false));
    this.#subscriber.on('error', (error: Error) => {
      this.#setSubscribed(false);
      logger.debug({ error: error.message }, 'session cache: subscriber connection error');
    });
    this.#subscriber.on('message', (received: string, key: string) => {
      if (received === channel) cache.invalidate(key);
    });
    this.#pingTimer = setInterval(() => {
      if (this.#subscriber.status !== 'ready') return;
      this.#subscriber.ping().catch(() => {
        this.#setSubscribed(false);
        this.#subscriber.disconnect(true);
      });
    }, pingIntervalMs);
    this.#pingTimer.unref();
    options.watchStore((ready) => {
      this.#storeReady = ready;
      this.#apply();
    });
  }

  #setSubscribed(subscribed: boolean): void {
    this.#subscribed = subscribed;
    this.#apply();
  }

  /** Serving from memory needs both connections; a change of either is applied at once. */
  #apply(): void {
    const serve = !this.#closed && this.#subscribed && this.#storeReady;
    const { cache } = this.#options;
    if (serve && !cache.listening) cache.resume();
    else if (!serve) cache.suspend();
  }

  /** Tells every replica (this one too) that the session at `key` changed. Never rejects. */
  async announce(key: string): Promise<void> {
    try {
      await this.#options.publish(this.#options.channel, key);
    } catch (error) {
      this.#options.logger.warn(
        { error: error instanceof Error ? error.message : String(error) },
        'session cache: a session write could not be announced; other replicas may serve it until their cache entries expire',
      );
    }
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#pingTimer);
    this.#apply();
    this.#subscriber.disconnect();
  }
}
