// The logger's redaction: a secret placed by mistake in a logged object is censored, in every position code could put it.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';

function capture() {
  const lines: string[] = [];
  const logger = createLogger('trace', { write: (line: string) => void lines.push(line) });
  return { logger, text: () => lines.join('\n') };
}

const secretFields = [
  'access_token',
  'refresh_token',
  'id_token',
  'logout_token',
  'assertion',
  'client_assertion',
  'token',
  'code',
  'code_verifier',
  'client_secret',
  'password',
  'sessionId',
  'state',
];
const secretHeaders = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie'];

describe('log redaction', () => {
  it.each(secretFields)('censors %s at the top level and one object down', (field) => {
    const { logger, text } = capture();
    logger.trace({ [field]: `top-${field}-value` }, 'top level');
    logger.warn({ body: { [field]: `nested-${field}-value` } }, 'one level down');
    logger.error({ err: { [field]: `error-${field}-value` } }, 'in an error');
    expect(text()).not.toMatch(/-value/);
    expect(text()).toContain('[redacted]');
  });

  it.each(secretHeaders)('censors the %s header of a logged request or response', (header) => {
    const { logger, text } = capture();
    logger.info({ headers: { [header]: 'bare-header-value' } }, 'headers');
    logger.info({ req: { headers: { [header]: 'request-header-value' } } }, 'request');
    logger.info({ res: { headers: { [header]: 'response-header-value' } } }, 'response');
    logger.info({ error: { response: { headers: { [header]: 'deep-value' } } } }, 'deep');
    expect(text()).not.toMatch(/header-value|deep-value/);
  });

  it('leaves harmless fields alone', () => {
    const { logger, text } = capture();
    logger.info({ provider: 'graph', status: 401, reason: 'refresh_failed' }, 'kept');
    expect(JSON.parse(text())).toMatchObject({ provider: 'graph', status: 401 });
  });
});
