// Session-write announcements over Redis pub/sub: every replica forgets a changed session at once, and stops caching while it might miss an announcement.
import { Redis } from 'ioredis';
import { describeError } from '../observability/describe-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { SessionReadCache } from './session-read-cache.ts';

/** How often the subscriber's connection is checked: a connection dropped without a word (an idle timeout in a load balancer) would otherwise go unnoticed. */
const checkIntervalMs = 5_000;
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
 * The cache serves reads only while the subscription is confirmed, this replica's announcements
 * get through (a probe, then every announcement: a Redis user denied PUBLISH or SUBSCRIBE by an ACL
 * turns the cache off, logged once) and the store's own connection is up. At the first sign of trouble on the subscriber's connection (closed, an error, a check
 * unanswered) announcements may be lost to it, so whatever the cache held is dropped and nothing
 * is kept until it has subscribed again. The store's connection closing stops it as well: a store
 * known to be unreachable is answered 503 at once, as without the cache, rather than from memory.
 * Messages are store keys (digests of session ids), never a session id.
 */
export class RedisInvalidations {
  readonly #options: RedisInvalidationsOptions;
  readonly #subscriber: Redis;
  readonly #checkTimer: NodeJS.Timeout;
  #closed = false;
  #subscribed = false;
  #storeReady = false;
  /** This replica's announcements get through (a probe after subscribing, then every announcement). */
  #announcing = false;
  /** Problems already logged, each once until the cache works again (a denied ACL would repeat them forever). */
  readonly #logged = new Set<string>();

  constructor(options: RedisInvalidationsOptions) {
    this.#options = options;
    const { cache, channel } = options;
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
    this.#subscriber.on('ready', () => this.#subscribe());
    // The store's own connection logs outages; here only what they mean for the cache.
    this.#subscriber.on('close', () => this.#setSubscribed(false));
    this.#subscriber.on('error', (error: Error) => {
      this.#setSubscribed(false);
      options.logger.debug({ error: error.message }, 'session cache: subscriber connection error');
    });
    this.#subscriber.on('message', (received: string, key: string) => {
      if (received === channel && key !== '') cache.invalidate(key);
    });
    // Every few seconds: subscribe again if that failed (an ACL since fixed), probe announcing if
    // that failed, or check that the subscribed connection still answers.
    this.#checkTimer = setInterval(() => this.#check(), checkIntervalMs);
    this.#checkTimer.unref();
    options.watchStore((ready) => {
      this.#storeReady = ready;
      this.#apply();
    });
  }

  /** Tells every replica (this one too) that the session at `key` changed. Never rejects. */
  async announce(key: string): Promise<void> {
    try {
      await this.#options.publish(this.#options.channel, key);
    } catch (error) {
      // Announcements that fail here fail for every replica (same Redis, same user): none may
      // serve from memory what it cannot hear about.
      this.#setAnnouncing(false, error);
    }
  }

  #subscribe(): void {
    this.#subscriber.subscribe(this.#options.channel).then(
      () => {
        this.#setSubscribed(true);
        this.#probeAnnouncing();
      },
      (error: unknown) => this.#logOnce('subscribe', error, 'session cache off: cannot subscribe'),
    );
  }

  /** An empty message: receivers ignore it; it proves PUBLISH is allowed and reaches Redis. */
  #probeAnnouncing(): void {
    this.#options.publish(this.#options.channel, '').then(
      () => this.#setAnnouncing(true),
      (error: unknown) => this.#setAnnouncing(false, error),
    );
  }

  #check(): void {
    if (this.#closed || this.#subscriber.status !== 'ready') return;
    if (!this.#subscribed) this.#subscribe();
    else if (!this.#announcing) this.#probeAnnouncing();
    else
      this.#subscriber.ping().catch(() => {
        this.#setSubscribed(false);
        this.#subscriber.disconnect(true);
      });
  }

  #setSubscribed(subscribed: boolean): void {
    this.#subscribed = subscribed;
    this.#apply();
  }

  #setAnnouncing(announcing: boolean, error?: unknown): void {
    this.#announcing = announcing;
    // With the store unreachable every command fails; its connection log says so already.
    if (!announcing && this.#storeReady)
      this.#logOnce(
        'announce',
        error,
        'session cache off: session writes cannot be announced to other replicas',
      );
    this.#apply();
  }

  /** Serving from memory needs the subscription, announcements and the store; any change applies at once. */
  #apply(): void {
    const serve = !this.#closed && this.#subscribed && this.#announcing && this.#storeReady;
    const { cache } = this.#options;
    if (serve && !cache.listening) {
      cache.resume();
      this.#logged.clear();
    } else if (!serve) cache.suspend();
  }

  #logOnce(problem: string, error: unknown, message: string): void {
    if (this.#logged.has(problem)) return;
    this.#logged.add(problem);
    // By kind and code, plus Redis's error prefix (NOPERM: an ACL to fix) — never the message.
    const root = error instanceof Error && error.cause !== undefined ? error.cause : error;
    const prefix = root instanceof Error ? /^[A-Z]{3,}(?= )/.exec(root.message)?.[0] : undefined;
    this.#options.logger.warn(
      { error: describeError(root), ...(prefix === undefined ? {} : { redisError: prefix }) },
      message,
    );
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#checkTimer);
    this.#apply();
    this.#subscriber.disconnect();
  }
}
