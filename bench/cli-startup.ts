// How long `roas` takes before it does anything: `roas --help` and a usage error, through
// bin/roas (the bundle dist/roas.mjs, after its freshness check), through plain `node
// dist/roas.mjs` (the bundle alone: the difference is bin/roas's check), and through tsx
// compiling src/cli/main.ts on the fly, as bin/roas did before the bundle. With --before <git
// revision>, also tsx on that revision's sources (e.g. the commit before the bundle and the lazy
// imports). The variants take turns, so a busy moment of the machine falls on all of them alike.
// Prints a table, writes bench/results/cli-startup.json.
//   npm run bench:cli-startup -- --runs 20 [--before 73273d9]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { PROJECT_ROOT } from '../src/platform/config';
import { median, percentile, runIfMain, writeResult } from './lib';

const BIN = path.join(PROJECT_ROOT, 'bin', 'roas');
const BUNDLE = path.join(PROJECT_ROOT, 'dist', 'roas.mjs');
const TSX = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
const CLI_SOURCE = path.join(PROJECT_ROOT, 'src', 'cli', 'main.ts');
const USAGE_ERROR = ['run', 'dbt', '--date', '2026-13-01'];

interface Variant {
  name: string;
  command: string;
  args: string[];
  exitCode: number;
}

const VARIANTS: Variant[] = [
  { name: 'bin/roas --help', command: BIN, args: ['--help'], exitCode: 0 },
  { name: 'bin/roas run dbt --date 2026-13-01 (exit 2)', command: BIN, args: USAGE_ERROR, exitCode: 2 },
  { name: 'node dist/roas.mjs --help (no freshness check)', command: process.execPath, args: [BUNDLE, '--help'], exitCode: 0 },
  { name: 'tsx src/cli/main.ts --help (no bundle)', command: TSX, args: [CLI_SOURCE, '--help'], exitCode: 0 },
  { name: 'tsx src/cli/main.ts run dbt --date 2026-13-01', command: TSX, args: [CLI_SOURCE, ...USAGE_ERROR], exitCode: 2 },
];

/** The sources of a git revision in a temporary directory, sharing this checkout's node_modules. */
function checkoutOf(rev: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-before-'));
  const archive = spawnSync('git', ['archive', '--format=tar', rev, 'src', 'workflows', 'activities', 'package.json', 'tsconfig.json'], {
    cwd: PROJECT_ROOT,
    maxBuffer: 1 << 30,
  });
  if (archive.status !== 0) throw new Error(`git archive ${rev}: ${archive.stderr.toString()}`);
  const tar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
  if (tar.status !== 0) throw new Error(`tar: ${tar.stderr.toString()}`);
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CliStartupRow {
  name: string;
  runsMs: number[];
  medianMs: number;
  p95Ms: number;
  minMs: number;
}

export interface CliStartupResult {
  benchmark: string;
  date: string;
  runs: number;
  rows: CliStartupRow[];
  /** `bin/roas --help`, and the same through tsx (on --before's sources when given). */
  help: CliStartupRow;
  beforeHelp: CliStartupRow;
  before?: string;
  /** bin/roas --help minus node dist/roas.mjs --help, medians: the freshness check and bash. */
  checkMs: number;
  /** scripts/build-cli.ts through tsx, as bin/roas runs it after a source changed. */
  rebuildMs: number[];
}

function timeOnce(command: string, args: string[], expectedExit: number): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(command, args, { cwd: PROJECT_ROOT, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn' } });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== expectedExit) {
    throw new Error(`${command} ${args.join(' ')} exited ${r.status ?? r.signal}, expected ${expectedExit}:\n${r.stderr}`);
  }
  return ms;
}

export function measureCliStartup(opts: { runs: number; rebuilds?: number; before?: string }): CliStartupResult {
  const old = opts.before ? checkoutOf(opts.before) : undefined;
  const variants = [...VARIANTS];
  if (old) {
    const cli = path.join(old.dir, 'src', 'cli.ts');
    variants.push(
      { name: `${opts.before}: tsx src/cli.ts --help`, command: TSX, args: [cli, '--help'], exitCode: 0 },
      { name: `${opts.before}: tsx src/cli.ts run dbt --date 2026-13-01`, command: TSX, args: [cli, ...USAGE_ERROR], exitCode: 2 },
    );
  }
  const times = variants.map(() => [] as number[]);
  try {
    // Once, unmeasured: builds the bundle if it is missing or stale, and warms the file cache.
    for (const v of variants) timeOnce(v.command, v.args, v.exitCode);
    for (let i = 0; i < opts.runs; i++) {
      variants.forEach((v, k) => times[k]!.push(timeOnce(v.command, v.args, v.exitCode)));
      process.stderr.write(`\rcli-startup: round ${i + 1}/${opts.runs}   `);
    }
    process.stderr.write('\n');
  } finally {
    old?.remove();
  }
  const rebuildMs: number[] = [];
  for (let i = 0; i < (opts.rebuilds ?? 3); i++) rebuildMs.push(timeOnce(TSX, [path.join(PROJECT_ROOT, 'scripts', 'build-cli.ts')], 0));
  const rows = variants.map((v, k) => {
    const xs = times[k]!;
    return { name: v.name, runsMs: xs.map((x) => Math.round(x)), medianMs: median(xs), p95Ms: percentile(xs, 95), minMs: Math.min(...xs) };
  });
  return {
    benchmark: 'roas CLI start-up',
    date: new Date().toISOString(),
    runs: opts.runs,
    rows,
    help: rows[0]!,
    beforeHelp: rows[old ? 5 : 3]!,
    before: opts.before,
    checkMs: rows[0]!.medianMs - rows[2]!.medianMs,
    rebuildMs: rebuildMs.map((x) => Math.round(x)),
  };
}

export function printCliStartup(r: CliStartupResult): void {
  const w = Math.max(...r.rows.map((x) => x.name.length));
  const ms = (x: number) => `${Math.round(x)} ms`.padStart(8);
  console.log(`\nroas start-up, ${r.runs} runs each, taking turns (median, p95, min)`);
  for (const row of r.rows) console.log(`${row.name.padEnd(w)} | ${ms(row.medianMs)} | ${ms(row.p95Ms)} | ${ms(row.minMs)}`);
  console.log(`bin/roas's freshness check (bash + find), median difference: ${Math.round(r.checkMs)} ms`);
  console.log(`a rebuild after a source changed (tsx scripts/build-cli.ts): ${r.rebuildMs.map((x) => `${x} ms`).join(', ')}`);
  console.log('target: bin/roas --help ≤ 400 ms (median)');
}

runIfMain(import.meta.url, () => {
  const { runs, before } = new Command('bench:cli-startup')
    .addOption(new Option('--runs <n>', 'runs of each variant').default(10).argParser(Number))
    .option('--before <git-revision>', "also time tsx on that revision's sources, e.g. the commit before the bundle")
    .parse()
    .opts<{ runs: number; before?: string }>();
  const result = measureCliStartup({ runs, before });
  printCliStartup(result);
  writeResult('cli-startup.json', result);
  console.log('\nwritten: bench/results/cli-startup.json');
  return Promise.resolve();
});
