// The JSON-lines logger (pino on stdout), with redaction as a second line of defence against token leaks.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/types.ts';

export type { Logger } from 'pino';

/** Body and error fields that carry a token, code or secret in OAuth exchanges (RFC 6749, 7009, 7523, 7636; Back-Channel Logout). */
const secretFields = [
  'access_token',
  'refresh_token',
  'id_token',
  'logout_token',
  // RFC 7523 / On-Behalf-Of: the assertion is the user's token.
  'assertion',
  'client_assertion',
  // RFC 7009 / 7662: the token being revoked or introspected.
  'token',
  'code',
  'code_verifier',
  'client_secret',
  'password',
  // The bearer secrets of the gateway itself: the session id and a login state.
  'sessionId',
  'state',
] as const;

/** Headers that carry credentials: the browser's cookie, a bearer, a proxy's credentials, a cookie being set. */
const secretHeaders = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie'] as const;

/**
 * Code never logs these on purpose (log lines name kinds and codes only, see describe-error.ts);
 * redaction catches the mistake instead of shipping it. Top level and one object down (`*.field`,
 * e.g. `body.refresh_token`, `err.access_token`), and headers wherever a request or response object
 * is logged (`req.headers`, `res.headers`, `headers`, `*.headers`).
 */
const redactedPaths = [
  ...secretFields,
  ...secretFields.map((field) => `*.${field}`),
  ...secretHeaders.flatMap((header) => [
    `headers["${header}"]`,
    `*.headers["${header}"]`,
    `*.*.headers["${header}"]`,
  ]),
];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'bff-gateway' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactedPaths, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
