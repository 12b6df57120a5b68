// Every usage mistake `roas` refuses, checked on its parser in this process (no process spawned,
// no server): each is a usage error (exit 2) with a message that names what is wrong, found
// before the command asks for its context (a database or Temporal). test/integration/cli.test.ts
// spawns the real binary for a few of them: exit code 2 and nothing written.
import { CommanderError, type Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { roasProgram } from '../../src/cli/commands/program';
import { parseRoas } from '../helpers/cli-parse';
import { UsageError } from '../../src/core/errors';

const noContext = () => Promise.reject(new Error('the command asked for its context: it went past its input checks'));

const refusal = (args: string[]) => parseRoas(args, noContext);

describe('roas refuses bad input before it connects to anything', () => {
  it.each([
    [['run', 'dbt', '--date', '2026-13-01'], 'does not exist in the calendar'],
    [['run', 'dbt', '--date', '27/11/2026'], 'write it as YYYY-MM-DD'],
    [['run', 'airflow', '--date', '2026-11-01'], 'unknown pipeline "airflow"'],
    // Far ahead: the clock cannot make this date straddle midnight UTC.
    [['run', 'dbt', '--date', '2999-01-01'], 'out of range'],
    [['test-step', 'dbt-build', '--date', '2999-01-01'], 'out of range'],
    [['schedules'], 'roas schedules needs a subcommand: one of apply, list, pause, unpause, trigger'],
    [['stack', 'restart'], 'unknown subcommand "restart" of roas stack'],
    [['run', 'dbt'], "required option '-d, --date <YYYY-MM-DD>' not specified"],
    [['flink-complete', '--date', '2026-11-01', '--row-count', '-5'], '--row-count "-5" is not a whole number'],
    [['flink-complete', '--date', '2026-11-01', '--row-count', '99999999999999999999999'], 'is not a whole number from 0'],
    [['flink-complete', '--date', '0000-01-01'], 'out of range: give a day from 2000-01-01'],
    [['flink-complete', '--date', '2026-11-01', '--job-id', 'x'.repeat(5000)], '--job-id is 5000 characters long'],
    [['flink-complete', '--from', '2020-01-01', '--to', '2026-11-01'], 'add --allow-large-range'],
    [['flink-complete', '--date', '2026-11-01', '--watermark', 'soon'], '--watermark "soon" is not a timestamp'],
    [['generate-events', '--date', '2026-11-05', '--to', '2026-11-01'], '2026-11-05 is after 2026-11-01'],
    [['generate-events', '--date', '2026-11-05', '--events', '1e3'], '--events must be a whole number'],
    [['generate-events', '--date', '2026-11-05', '--defect', 'gremlins'], 'unknown defect "gremlins"'],
    [['no-such-command'], "unknown command 'no-such-command'"],
    [['backfill', 'dbt', '--from', '2026-11-05', '--to', '2026-11-01'], '2026-11-05 is after 2026-11-01'],
    [['backfill', 'dbt', '--from', '1926-01-01', '--to', '2025-12-31'], 'out of range: give a day from 2000-01-01'],
    [['backfill', 'dbt', '--from', '2020-01-01', '--to', '2025-12-31'], 'spans 2192 days; at most 92 are allowed (add --allow-large-range'],
    [['run', 'dbt', '--date', '0000-01-01'], 'out of range'],
    [['status', '--date', '0000-01-01'], 'out of range'],
    [['runs', '--from', '2026-11-05', '--to', '2026-11-01'], 'is after'],
    [['backfill', 'dbt', '--from', '2026-11-01', '--to', '2026-11-05', '--concurrency', '0'], '--concurrency must be a whole number'],
    [['backfill', 'spark', '--from', '2026-11-01', '--to', '2026-11-05'], 'unknown pipeline "spark"'],
    [['status', '--date', 'yesterday'], 'write it as YYYY-MM-DD'],
    [['lineage', '--date', '2026-02-30', '--json'], 'does not exist in the calendar'],
    [['restate', '--from', '2026-11-05', '--to', '2026-11-01'], 'is after 2026-11-01'],
    [['restate', '--from', '2026-11-01', '--to', '2999-01-01'], 'out of range'],
    [['restate', '--from', '2026-01-01', '--to', '2026-11-01'], 'at most 92 are allowed'],
    [['restatements', '--from', '2026-11-01', '--to', 'soon'], 'write it as YYYY-MM-DD'],
    [['generate-events', '--date', '2026-11-05', '--late-share', '0.9'], '--late-share must be a share from 0 to 0.5'],
    [['generate-events', '--date', '2026-11-05', '--deliver-late', '--complete'], 'leave out --complete'],
    [['schedules', 'pause', 'hourly'], 'unknown schedule "hourly"'],
    [['schedules', 'trigger', 'hourly'], 'unknown schedule "hourly"'],
    [['logs', 'dbt', '--date', '2026-11-01', '--step', 'deploy'], '--step must be build, run or test'],
    [['logs', 'dbt', '--date', '2026-11-01', '--tail', 'all'], '--tail "all" is not a whole number'],
    [['runs', '--limit', '0'], '--limit must be a whole number from 1 to 500'],
    [['runs', '--status', 'exploded'], '--status'],
    [['test-step', 'compile', '--date', '2026-11-01'], 'unknown step "compile"'],
    [['test-step', 'dbt-run', '--date', '2026-11-01', '--pipeline', 'spark'], '--pipeline must be dbt or etl'],
    [['dbt', '--date', '0000-01-01', '--', 'build'], 'is out of range'],
    [['dbt', '--date', '2026-02-30', '--', 'build'], 'does not exist in the calendar'],
    [['dbt', '--date', '2026-11-01'], "missing required argument 'dbt-arguments'"],
    // dbt's own options go after `--`; before it they are refused, not silently taken as ours.
    [['dbt', '--date', '2026-11-01', 'build', '--select', 'x'], "unknown option '--select'"],
  ])('roas %j', async (args, message) => {
    const { error, printed } = await refusal(args);
    // Ours are UsageErrors (the CLI exits 2 with the message); commander's own print their message and exit 2.
    if (error instanceof CommanderError) {
      expect(error.exitCode).not.toBe(0);
      expect(printed).toContain(message);
    } else {
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toContain(message);
    }
  });

  it('--help works on every command, and says nothing is wrong', async () => {
    const program = roasProgram(noContext);
    const paths: string[][] = [[]];
    const walk = (c: Command, at: string[]) =>
      c.commands.forEach((sub) => {
        paths.push([...at, sub.name()]);
        walk(sub, [...at, sub.name()]);
      });
    walk(program, []);
    expect(paths.length).toBeGreaterThan(15);
    for (const at of paths) {
      const { error, printed } = await refusal([...at, '--help']);
      expect(error, at.join(' ')).toBeInstanceOf(CommanderError);
      expect((error as CommanderError).exitCode, at.join(' ')).toBe(0);
      expect(printed, at.join(' ')).toMatch(/^Usage: roas/);
    }
  });
});
