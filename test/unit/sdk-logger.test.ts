// The Temporal SDK's log lines go through the project's logger: one JSON line per event, an
// error's stack reduced to its type and message, the SDK's INFO chatter left out at WARN.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { sdkLogger } from '../../src/platform/logger';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { log: pino({ level: 'trace' }, sink), lines };
}

describe('sdkLogger', () => {
  it('writes one line per SDK event, errors without their stack, and drops what is below the level', () => {
    const { log, lines } = capture();
    const sdk = sdkLogger(log, 'WARN');
    const failure = new Error('dbt build could not finish: connection refused\n    at runDbtStep (activities.ts:1:1)\n    at more');
    sdk.info('Workflow bundle created', { size: '1.2MB' });
    sdk.warn('Activity failed', { activityType: 'runDbtStep', attempt: 2, error: failure });
    sdk.log('ERROR', 'Worker failed', { error: new TypeError('boom') });
    expect(lines).toHaveLength(2);
    const warn = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(warn).toMatchObject({ level: 40, msg: 'Activity failed', activityType: 'runDbtStep', attempt: 2, sdk: true, error: 'Error: dbt build could not finish: connection refused' });
    expect(lines[0]).not.toContain('at runDbtStep');
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 50, msg: 'Worker failed', error: 'TypeError: boom' });
  });

  it('passes the SDK debug lines when the level asks for them', () => {
    const { log, lines } = capture();
    sdkLogger(log, 'DEBUG').debug('poll', {});
    expect(lines).toHaveLength(1);
  });
});
