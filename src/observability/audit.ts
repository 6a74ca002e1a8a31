// Audit lines for security events (contract §5): `"audit": true`, an `event`, and never a token or session id.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';

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
  /** The raw session id: only its hash is written. */
  readonly sessionId?: string;
  readonly sub?: string;
  readonly outcome?: 'success' | 'failure';
  readonly reason?: string;
  readonly [extra: string]: string | number | boolean | undefined;
}

/** A stable, non-reversible reference to a session for logs: correlates lines without revealing the id. */
export function sessionReference(sessionId: string): string {
  return createHash('sha256').update(`log:${sessionId}`).digest('base64url').slice(0, 16);
}

export function audit(logger: Logger, event: AuditEvent, fields: AuditFields): void {
  const { sessionId, ...rest } = fields;
  logger.info(
    {
      audit: true,
      event,
      ...rest,
      ...(sessionId === undefined ? {} : { session: sessionReference(sessionId) }),
    },
    `audit ${event}`,
  );
}
