// Audit lines for security events (contract §5): `"audit": true`, an `event`, and never a token or session id.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { secretDigest } from './secret-digest.ts';

export type AuditEvent =
  | 'login'
  | 'login_failed'
  | 'refresh'
  | 'refresh_failed'
  | 'reauth'
  | 'logout'
  | 'backchannel_logout'
  | 'csrf_rejected';

export interface AuditFields {
  readonly provider?: string;
  /** The raw session id: only a hash of it is written. */
  readonly sessionId?: string;
  /** Or the session id's digest (what store indexes hold), for sessions ended without their id. */
  readonly sessionDigest?: string;
  readonly sub?: string;
  readonly outcome?: 'success' | 'failure';
  readonly reason?: string;
  readonly [extra: string]: string | number | boolean | undefined;
}

/** A stable, non-reversible reference to a session for logs: correlates lines without revealing the id. */
export function sessionReference(sessionId: string): string {
  return sessionReferenceOfDigest(secretDigest(sessionId));
}

/** The same reference from the session id's digest: a session ended through an index logs as itself. */
export function sessionReferenceOfDigest(sessionDigest: string): string {
  return createHash('sha256').update(`log:${sessionDigest}`).digest('base64url').slice(0, 16);
}

export function audit(logger: Logger, event: AuditEvent, fields: AuditFields): void {
  const { sessionId, sessionDigest, ...rest } = fields;
  const digest = sessionDigest ?? (sessionId === undefined ? undefined : secretDigest(sessionId));
  logger.info(
    {
      audit: true,
      event,
      ...rest,
      ...(digest === undefined ? {} : { session: sessionReferenceOfDigest(digest) }),
    },
    `audit ${event}`,
  );
}
