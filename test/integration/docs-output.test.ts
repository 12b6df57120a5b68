// What the README and docs/ quote a command printing is what it prints. Every transcript of the
// pages (a fenced block's `$ <command>` line and the lines after it) is run here, through the real
// `bin/roas` (or `npm start`), against a real PostgreSQL, the run's Temporal dev server and the
// project's worker with real dbt, in the order of the story the pages tell: the days generated,
// a run waiting for Flink and told it is complete, a backfill, a restatement, npm start's demo
// day. The printed lines are compared with the quoted ones after masking only what differs from
// run to run (clock times, durations, run IDs, throughput, PostgreSQL's buffer and statement counts; see helpers/transcripts);
// a line `…` in a quote stands for lines the page leaves out. A quoted line the command does not
// print fails, naming the page and line, with what it printed. The unit tier
// (test/unit/docs-commands.test.ts) checks that every other `roas` command the pages show parses.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { recordFlinkComplete } from '../../src/client/flink-complete';
import { startDailyEtl, startDbtDailyRun } from '../../src/client/runs';
import { DEMO_EVENTS, DEMO_LATE_SHARE } from '../../src/local/demo';
import { loadDay } from '../../src/local/generator/load';
import { PROJECT_ROOT, type Config } from '../../src/platform/config';
import { testConfig } from '../helpers/config';
import { useTestDatabase } from '../helpers/db';
import { withRealWorker } from '../helpers/real-worker';
import { connectDevServer, eventually, uniqueTaskQueue } from '../helpers/temporal';
import { blockAfter, describeDisagreement, firstDisagreement, readTranscripts, type QuotedLine, type Transcript } from '../helpers/transcripts';

const ROAS = path.join(PROJECT_ROOT, 'bin', 'roas');
const transcripts = readTranscripts(PROJECT_ROOT);
const covered = new Set<Transcript>();

/** The page's transcript of `command`; the story below runs it. */
function transcript(page: string, command: string): Transcript {
  const t = transcripts.find((x) => x.page === page && x.command === command);
  if (!t) throw new Error(`${page} no longer quotes \`$ ${command}\`: change the story in this test with the page`);
  covered.add(t);
  return t;
}

/** The command line as a process to start: its `VAR=value` prefix, and `npm run -s roas --` as bin/roas. */
function commandLine(command: string): { file: string; args: string[]; env: Record<string, string> } {
  const words = command.split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0]!)) {
    const [name, ...value] = words.shift()!.split('=');
    env[name!] = value.join('=');
  }
  const rest = words.join(' ');
  const roas = /^(?:npm run -s roas --|roas|\.\/bin\/roas)(?: (.*))?$/.exec(rest);
  if (roas) return { file: ROAS, args: roas[1] ? roas[1].split(' ') : [], env };
  if (rest === 'npm start') return { file: 'npm', args: ['start'], env };
  throw new Error(`no way to run \`${command}\``);
}

interface Running {
  /** Its end: all it printed, and its exit code. */
  process: Promise<{ all: string; exitCode?: number }>;
  /** The lines printed so far (stdout and stderr as they came). */
  lines(): string[];
  /** All the lines it printed, once it has ended. */
  done(result: { all: string }): string[];
}

describe('the output the README and docs/ quote', () => {
  const db = useTestDatabase(import.meta.url);
  const taskQueue = uniqueTaskQueue('docs-output');
  const artifactsDir = mkdtempSync(path.join(os.tmpdir(), 'roas-docs-artifacts-'));
  const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'roas-docs-reports-'));
  let temporal: Awaited<ReturnType<typeof connectDevServer>>;
  let config: Config;
  let stopWorker: () => void = () => {};
  let worker: Promise<unknown> | undefined;

  beforeAll(async () => {
    temporal = await connectDevServer();
    config = testConfig({ DBT_ARTIFACTS_DIR: artifactsDir, ROAS_REPORTS_DIR: reportsDir });
    const stopped = new Promise<void>((resolve) => (stopWorker = resolve));
    worker = withRealWorker({ config, connection: temporal.nativeConnection, databaseUrl: db.url, taskQueue }, () => stopped);
  });
  afterAll(async () => {
    stopWorker();
    await worker;
    await temporal?.close();
  });

  /** Starts a page's command as a user would, on this file's servers and worker. */
  function start(t: Transcript): Running {
    const { file, args, env } = commandLine(t.command);
    const process = execa(file, args, {
      all: true,
      reject: false,
      cwd: PROJECT_ROOT,
      timeout: 540_000,
      env: {
        DATABASE_URL: db.url,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_TASK_QUEUE: taskQueue,
        DBT_ARTIFACTS_DIR: artifactsDir,
        ROAS_REPORTS_DIR: reportsDir,
        LOG_LEVEL: 'warn',
        ...env,
      },
    });
    let all = '';
    for (const stream of [process.stdout, process.stderr]) stream.on('data', (chunk: Buffer) => (all += chunk.toString()));
    return { process, lines: () => printedLines(all), done: (result) => printedLines(result.all) };
  }

  /** Printed text as lines, the test's folders written as the pages name them (where a user's are). */
  function printedLines(all: string): string[] {
    const text = all.split(artifactsDir).join('.local/dbt-artifacts').split(reportsDir).join('reports');
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines;
  }

  /** The quoted lines against the printed ones: a soft failure naming the page and line, so the story goes on. */
  function compare(t: Transcript, quoted: QuotedLine[], printed: string[]): void {
    const diff = describeDisagreement(t.page, t.command, quoted, printed);
    expect.soft(diff, `${t.page}:${t.line}`).toBeUndefined();
  }

  /** Runs a page's command to its end and compares all it printed with the page. */
  async function run(page: string, command: string): Promise<string[]> {
    const t = transcript(page, command);
    const r = start(t);
    const printed = r.done(await r.process);
    compare(t, t.output, printed);
    return printed;
  }

  /** A command the story needs that no page quotes. */
  async function roas(...args: string[]): Promise<void> {
    const r = start({ page: '(setup)', line: 0, command: `roas ${args.join(' ')}`, output: [] });
    const result = await r.process;
    expect(result.exitCode, r.done(result).join('\n')).toBe(0);
  }

  async function printedSoFar(r: Running, what: RegExp): Promise<number> {
    await eventually(`a line matching ${what}`, () => Promise.resolve(r.lines().some((l) => what.test(l))), 120_000, 100);
    return r.lines().length;
  }

  it('finds the transcripts of the pages, each with its command', () => {
    expect(transcripts.length).toBeGreaterThan(10);
    for (const t of transcripts) expect(t.command, `${t.page}:${t.line}`).toMatch(/\S/);
  });

  it('a quote agrees only with what was printed: volatile parts masked, `…` for left-out lines, any other change named by its line', () => {
    const quote = (...texts: string[]) => texts.map((text, i) => ({ line: 10 + i, text }));
    const printed = ['started dbt-daily-run-2026-11-26', '  [   8s] dbt build, 0/53 nodes done', 'succeeded: 2026-11-26, SLA met', '  dbt build: 53 nodes, dbt 2.2s, attempt 1'];
    expect(firstDisagreement(quote('started dbt-daily-run-2026-11-26', '…', 'succeeded: 2026-11-26, SLA met', '  dbt build: 53 nodes, dbt 4.4s, attempt 1'), printed)).toBeUndefined();
    expect(firstDisagreement(quote('started dbt-daily-run-2026-11-26', '…', 'succeeded: 2026-11-26, SLA met', '  dbt build: 51 nodes, dbt 2.2s, attempt 1'), printed)?.quoted?.line).toBe(13);
    expect(firstDisagreement(quote('started dbt-daily-run-2026-11-26', 'succeeded: 2026-11-26, SLA met'), printed)?.quoted?.line).toBe(11);
    expect(firstDisagreement(quote('started dbt-daily-run-2026-11-26'), printed)?.reason).toContain('printed more lines');
  });

  it('data-and-flink.md: generate-events', async () => {
    await run('docs/data-and-flink.md', 'npm run -s roas -- generate-events --date 2026-11-27 --events 100000');
    await run('docs/data-and-flink.md', 'npm run -s roas -- generate-events --date 2026-11-20 --to 2026-11-26 --events 20000 --seed 7');
    await run('docs/data-and-flink.md', 'npm run -s roas -- generate-events --date 2026-11-22 --events 100000 --complete');
  }, 600_000);

  it('dbt-run.md: a run waits for Flink, flink-complete opens its gate, it goes on; operating.md: status of the waiting run', async () => {
    const runT = transcript('docs/dbt-run.md', 'npm run -s roas -- run dbt --date 2026-11-26 --wait');
    const waiting = start(runT);
    await printedSoFar(waiting, /waiting for Flink to report 2026-11-26 complete/);
    await run('docs/operating.md', 'npm run -s roas -- status --date 2026-11-26');
    const before = waiting.lines().length;
    const flink = await run('docs/dbt-run.md', 'npm run -s roas -- flink-complete --date 2026-11-26');
    expect(flink.length).toBeGreaterThan(0);
    const printed = waiting.done(await waiting.process);
    compare(runT, runT.output, printed.slice(0, before));
    const flinkLine = transcript('docs/dbt-run.md', 'npm run -s roas -- flink-complete --date 2026-11-26').line;
    compare(runT, blockAfter(PROJECT_ROOT, 'docs/dbt-run.md', flinkLine).lines, printed.slice(before));
  }, 600_000);

  it('dbt-run.md: a backfill whose days wait for Flink says so', async () => {
    const t = transcript('docs/dbt-run.md', 'npm run -s roas -- backfill dbt --from 2026-11-23 --to 2026-11-25 --wait');
    const waiting = start(t);
    const n = await printedSoFar(waiting, /waiting for Flink to report 2026-11-23, 2026-11-24 complete/);
    compare(t, t.output, waiting.lines().slice(0, n));
    // The page stops here; so does the story: the backfill is cancelled with its waiting dates.
    const workflowId = /^started (\S+)/.exec(waiting.lines()[0] ?? '')?.[1];
    expect(workflowId).toBeDefined();
    await temporal.client.workflow.getHandle(workflowId!).cancel();
    await waiting.process;
  }, 600_000);

  it('etl-and-reports.md: the daily ETL of the day', async () => {
    await run('docs/etl-and-reports.md', 'npm run -s roas -- run etl --date 2026-11-26 --wait');
  }, 600_000);

  it('operating.md: a backfill that skips a day already done, then status and runs', async () => {
    await roas('flink-complete', '--date', '2026-11-25');
    await run('docs/operating.md', 'npm run -s roas -- backfill dbt --from 2026-11-25 --to 2026-11-26 --concurrency 1 --wait');
    await run('docs/operating.md', 'npm run -s roas -- status --date 2026-11-25');
    await run('docs/operating.md', 'npm run -s roas -- runs -n 3');
    // `runs` with a filter asks Temporal's visibility store, which lags the runs by a moment.
    await eventually('the backfill\'s runs to be visible by their search attributes', async () => {
      let n = 0;
      for await (const w of temporal.client.workflow.list({ query: 'Pipeline = "dbt_daily_run" AND RunStep = "succeeded"' })) if (w.taskQueue === taskQueue) n++;
      return n >= 2;
    });
    await run('docs/operating.md', 'npm run -s roas -- runs --status succeeded --pipeline dbt --from 2026-11-25 --to 2026-11-26');
  }, 600_000);

  it('late-data.md: a day restated after its late events arrived', async () => {
    await roas('generate-events', '--date', '2026-11-25', '--events', '20000', '--seed', '7', '--deliver-late');
    await roas('restate', '--from', '2026-11-25', '--to', '2026-11-25');
    await run('docs/late-data.md', 'npm run -s roas -- restatements --from 2026-11-20 --to 2026-11-27');
  }, 600_000);

  it("operating.md: the lineage of npm start's demo day", async () => {
    const day = '2026-12-03';
    // As npm start's demo day (src/local/demo.ts): the day on time, Flink complete, the dbt run then the daily ETL.
    await loadDay(db.pool, { date: day, events: DEMO_EVENTS, seed: 42, lateShare: DEMO_LATE_SHARE, deliver: 'on-time' });
    await recordFlinkComplete(db.pool, { runDate: day, jobId: 'npm-start-demo' });
    const dbt = await (await startDbtDailyRun(temporal.client, config, day, { taskQueue, trigger: 'manual' })).result();
    expect(dbt.status).toBe('succeeded');
    const etl = await (await startDailyEtl(temporal.client, config, day, { taskQueue, trigger: 'manual' })).result();
    expect(etl.status).toBe('succeeded');
    await run('docs/operating.md', 'npm run -s roas -- lineage --date 2026-12-03');
  }, 600_000);

  it('lineage.md, settings.md: a wrong setting stops npm start, naming the variable', async () => {
    await run('docs/lineage.md', 'OPENLINEAGE_URL=marquez:5000 npm start');
    await run('docs/settings.md', 'DATABASE_URL=localhost:5432 npm start');
  }, 120_000);

  it('runs every transcript of the pages', () => {
    const missed = transcripts.filter((t) => !covered.has(t)).map((t) => `${t.page}:${t.line}: $ ${t.command}`);
    expect(missed, 'transcripts no step of this test runs: add them to the story').toEqual([]);
  });
});
