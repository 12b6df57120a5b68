// Property-based: every command of `roas`, each argument in turn replaced by a generated odd
// value (impossible and far-off dates, huge and malformed numbers, long, control-character and
// non-ASCII text, empty strings). The property: the command refuses it as a usage mistake (exit 2)
// with a short message and no stack trace, before it asks for a database or Temporal, so nothing
// is ever written. The same generators drive the dashboard and the spawned binary in
// test/integration/hostile-input.test.ts.
import { CommanderError } from 'commander';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { printable } from '../../src/platform/exit-on-error';
import { parseRoas } from '../helpers/cli-parse';
import { UsageError } from '../../src/core/errors';
import { oddCount, oddDate, oddText, oddWatermark, oddWord } from '../helpers/odd-values';

const asked = () => Promise.reject(new Error('the command asked for its context: it went past its input checks'));

const attempt = (args: string[]) => parseRoas(args, asked);

const D = '2026-11-01';
/** Each command with one slot (`%`) for the odd value; the other arguments are valid. */
const TEMPLATES: { args: string[]; odd: fc.Arbitrary<string> }[] = [
  { args: ['run', 'dbt', '--date', '%'], odd: oddDate },
  { args: ['run', '%', '--date', D], odd: oddWord },
  { args: ['backfill', 'dbt', '--from', '%', '--to', D], odd: oddDate },
  { args: ['backfill', 'etl', '--from', D, '--to', '%'], odd: oddDate },
  { args: ['backfill', 'dbt', '--from', D, '--to', D, '--concurrency', '%'], odd: oddCount },
  { args: ['status', '--date', '%'], odd: oddDate },
  { args: ['lineage', '--date', '%'], odd: oddDate },
  { args: ['runs', '--limit', '%'], odd: oddCount },
  { args: ['runs', '--from', '%'], odd: oddDate },
  { args: ['runs', '--to', '%'], odd: oddDate },
  { args: ['runs', '--status', '%'], odd: oddWord },
  { args: ['runs', '--trigger', '%'], odd: oddWord },
  { args: ['runs', '--pipeline', '%'], odd: oddWord },
  { args: ['logs', 'dbt', '--date', '%'], odd: oddDate },
  { args: ['logs', '%', '--date', D], odd: oddWord },
  { args: ['logs', 'dbt', '--date', D, '--tail', '%'], odd: oddCount },
  { args: ['logs', 'dbt', '--date', D, '--step', '%'], odd: oddWord },
  { args: ['schedules', 'pause', '%'], odd: oddWord },
  { args: ['schedules', 'pause', 'dbt', '--note', '%'], odd: oddText },
  { args: ['schedules', 'unpause', '%'], odd: oddWord },
  { args: ['schedules', 'trigger', '%'], odd: oddWord },
  { args: ['test-step', 'dbt-build', '--date', '%'], odd: oddDate },
  { args: ['test-step', '%', '--date', D], odd: oddWord },
  { args: ['test-step', 'dbt-build', '--date', D, '--pipeline', '%'], odd: oddWord },
  { args: ['flink-complete', '--date', '%'], odd: oddDate },
  { args: ['flink-complete', '--from', '%', '--to', D], odd: oddDate },
  { args: ['flink-complete', '--date', D, '--row-count', '%'], odd: oddCount },
  { args: ['flink-complete', '--date', D, '--watermark', '%'], odd: oddWatermark },
  { args: ['flink-complete', '--date', D, '--job-id', '%'], odd: oddText },
  { args: ['generate-events', '--date', '%'], odd: oddDate },
  { args: ['generate-events', '--date', D, '--to', '%'], odd: oddDate },
  { args: ['generate-events', '--date', D, '--events', '%'], odd: oddCount },
  { args: ['generate-events', '--date', D, '--seed', '%'], odd: oddCount },
  { args: ['generate-events', '--date', D, '--defect', '%'], odd: oddWord },
  { args: ['deploy', 'promote', '%'], odd: oddText },
  { args: ['dbt', '--date', '%', '--', 'debug'], odd: oddDate },
  { args: ['restate', '--from', '%', '--to', D], odd: oddDate },
  { args: ['restatements', '--from', '%'], odd: oddDate },
  { args: ['stack', '%'], odd: oddWord },
  { args: ['%'], odd: oddWord },
];

let tried = 0;
afterAll(() => console.log(`cli fuzz: ${tried} generated inputs across ${TEMPLATES.length} command arguments, every one refused as a usage error`));

describe('every command refuses odd arguments before it connects to anything', () => {
  it.each(TEMPLATES.map((t) => [t.args.join(' '), t] as const))('roas %s', async (_name, t) => {
    await fc.assert(
      fc.asyncProperty(t.odd, async (value) => {
        tried++;
        const { error, printed } = await attempt(t.args.map((a) => (a === '%' ? value : a)));
        // What the person sees: commander's own message, or ours as the CLI prints it.
        const message = error instanceof CommanderError ? printed : printable((error as Error | undefined)?.message ?? '');
        if (error instanceof CommanderError) expect(error.exitCode, message).not.toBe(0);
        else expect(error, `${JSON.stringify(value)} was accepted or failed otherwise: ${message}`).toBeInstanceOf(UsageError);
        expect(message).not.toMatch(/\n\s+at /);
        expect(message.length).toBeLessThan(2_600);
      }),
      { numRuns: 40 },
    );
  });
});
