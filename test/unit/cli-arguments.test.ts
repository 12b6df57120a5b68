// Every usage mistake `roas` refuses, checked on its parser in this process (no process spawned,
// no server): each is a usage error (exit 2) with a message that names what is wrong, found
// before the command asks for its context (a database or Temporal). test/integration/cli.test.ts
// spawns the real binary for a few of them: exit code 2 and nothing written.
import { CommanderError, type Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { roasProgram } from '../../src/commands/program';
import { UsageError } from '../../src/core/errors';

const noContext = () => Promise.reject(new Error('the command asked for its context: it went past its input checks'));

/** Parses as `roas <args>` would; returns the error and what commander printed. */
async function refusal(args: string[]): Promise<{ error: unknown; printed: string }> {
  const program = roasProgram(noContext);
  let printed = '';
  const quiet = (c: Command): void => {
    c.configureOutput({ writeErr: (s) => (printed += s), writeOut: (s) => (printed += s) });
    c.commands.forEach(quiet);
  };
  quiet(program);
  const error = await program.parseAsync(args, { from: 'user' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, printed };
}

describe('roas refuses bad input before it connects to anything', () => {
  it.each([
    [['run', 'dbt', '--date', '2026-13-01'], 'does not exist in the calendar'],
    [['run', 'dbt', '--date', '27/11/2026'], 'write it as YYYY-MM-DD'],
    [['run', 'airflow', '--date', '2026-11-01'], 'unknown pipeline "airflow"'],
    // Far ahead: the clock cannot make this date straddle midnight UTC.
    [['run', 'dbt', '--date', '2999-01-01'], 'has not ended yet'],
    [['test-step', 'dbt-build', '--date', '2999-01-01'], 'has not ended yet'],
    [['schedules'], 'roas schedules needs a subcommand: one of apply, list, pause, unpause, trigger'],
    [['stack', 'restart'], 'unknown subcommand "restart" of roas stack'],
    [['run', 'dbt'], "required option '-d, --date <YYYY-MM-DD>' not specified"],
    [['flink-complete', '--date', '2026-11-01', '--row-count', '-5'], '--row-count must be a whole number'],
    [['flink-complete', '--date', '2026-11-01', '--watermark', 'soon'], '--watermark "soon" is not a timestamp'],
    [['generate-events', '--date', '2026-11-05', '--to', '2026-11-01'], 'is before --date'],
    [['generate-events', '--date', '2026-11-05', '--defect', 'gremlins'], 'unknown defect "gremlins"'],
    [['no-such-command'], "unknown command 'no-such-command'"],
    [['backfill', 'dbt', '--from', '2026-11-05', '--to', '2026-11-01'], 'is before --from'],
    [['backfill', 'dbt', '--from', '2026-11-01', '--to', '2026-11-05', '--concurrency', '0'], '--concurrency must be a whole number'],
    [['backfill', 'spark', '--from', '2026-11-01', '--to', '2026-11-05'], 'unknown pipeline "spark"'],
    [['status', '--date', 'yesterday'], 'write it as YYYY-MM-DD'],
    [['schedules', 'pause', 'hourly'], 'unknown schedule "hourly"'],
    [['schedules', 'trigger', 'hourly'], 'unknown schedule "hourly"'],
    [['logs', 'dbt', '--date', '2026-11-01', '--step', 'deploy'], '--step must be build, run or test'],
    [['logs', 'dbt', '--date', '2026-11-01', '--tail', 'all'], '--tail must be a whole number'],
    [['runs', '--limit', '0'], '--limit must be a whole number from 1 to 500'],
    [['runs', '--status', 'exploded'], '--status'],
    [['test-step', 'compile', '--date', '2026-11-01'], 'unknown step "compile"'],
    [['test-step', 'dbt-run', '--date', '2026-11-01', '--pipeline', 'spark'], '--pipeline must be dbt or etl'],
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
