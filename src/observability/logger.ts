// The JSON-lines logger (pino on stdout), with redaction as a second line of defence against token leaks.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/types.ts';

export type { Logger } from 'pino';

/**
 * Fields that would hold a token, code, cookie or secret if some code path ever logged one.
 * Code never logs these on purpose; redaction catches the mistake instead of shipping it.
 */
const redactedPaths = [
  'access_token',
  'refresh_token',
  'id_token',
  'code',
  'code_verifier',
  'client_secret',
  'authorization',
  'cookie',
  'password',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.code',
  '*.code_verifier',
  '*.client_secret',
  '*.authorization',
  '*.cookie',
  '*.password',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
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
