// bin/roas runs the CLI bundled (dist/roas.mjs, scripts/build-cli.ts) and builds it itself: on
// first use, and again whenever anything it is built from is newer. Shown on a copy of the
// sources in a directory whose name has spaces (as a fresh clone: no dist/ yet), sharing this
// checkout's node_modules. How fast it starts is a benchmark, not a test: bench/cli-startup.ts.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/platform/config';

const COMMANDS = ['run', 'backfill', 'restate', 'restatements', 'status', 'runs', 'logs', 'lineage', 'schedules', 'validate', 'test-step', 'dbt', 'flink-complete', 'generate-events', 'stack', 'deploy'];

describe('bin/roas and the CLI bundle', () => {
  let root: string;
  const file = (...p: string[]) => path.join(root, ...p);
  const roas = (args: string[]) => execa(file('bin', 'roas'), args, { reject: false, timeout: 120_000, env: { LOG_LEVEL: 'warn' } });
  /** Identifies one build of the bundle: each build renames a new file into place. */
  const bundleBuild = () => {
    const s = statSync(file('dist', 'roas.mjs'));
    return `${s.ino}/${s.mtimeMs}`;
  };
  const edit = (rel: string, from: string, to: string) => {
    const f = file(rel);
    const text = readFileSync(f, 'utf8');
    expect(text).toContain(from);
    writeFileSync(f, text.replace(from, to));
  };

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'roas clone '));
    for (const p of ['bin', 'src', 'workflows', 'activities', 'scripts/build-cli.ts', 'package.json', 'package-lock.json', 'tsconfig.json']) {
      cpSync(path.join(PROJECT_ROOT, p), file(p), { recursive: true });
    }
    symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), file('node_modules'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('builds the bundle on first use; its --help lists every command; usage errors still exit 2', async () => {
    const help = await roas(['--help']);
    expect(help.exitCode, help.stderr).toBe(0);
    const listed = help.stdout.split('Commands:')[1]?.match(/^ {2}[\w-]+/gm)?.map((s) => s.trim());
    expect(listed).toEqual([...COMMANDS, 'help']);
    expect(readdirSync(file('dist'))).toContain('roas.mjs');

    const bad = await roas(['run', 'dbt', '--date', '2026-13-01']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe('error: --date "2026-13-01" does not exist in the calendar');
  });

  it('uses the bundle as it is while nothing changed', async () => {
    const before = bundleBuild();
    expect((await roas(['--help'])).exitCode).toBe(0);
    expect(bundleBuild()).toBe(before);
  });

  it('rebuilds when a source is newer, whatever the directory', async () => {
    edit('src/cli/commands/run.ts', 'Start a pipeline for one date now', 'Start a pipeline (edited) for one date now');
    const help = await roas(['--help']);
    expect(help.exitCode, help.stderr).toBe(0);
    expect(help.stdout).toContain('Start a pipeline (edited)');

    for (const touched of ['src/core/describe.ts', 'activities/index.ts', 'package.json', 'package-lock.json']) {
      const before = bundleBuild();
      const now = new Date();
      utimesSync(file(touched), now, now);
      expect((await roas(['--help'])).exitCode, touched).toBe(0);
      expect(bundleBuild(), touched).not.toBe(before);
    }
  });

  it('several calls racing to rebuild all run the new bundle, and leave no temporary files', async () => {
    edit('src/cli/commands/status.ts', 'One date: each pipeline', 'One date (raced): each pipeline');
    const calls = await Promise.all(Array.from({ length: 4 }, () => roas(['status', '--help'])));
    for (const c of calls) {
      expect(c.exitCode, c.stderr).toBe(0);
      expect(c.stdout).toContain('One date (raced)');
    }
    expect(readdirSync(file('dist')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it("a source that does not compile: esbuild's error and a non-zero exit, not the old bundle", async () => {
    edit('src/cli/commands/status.ts', 'export function runsCommand', 'export function runsCommand(');
    const r = await roas(['--help']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('src/cli/commands/status.ts');
    expect(r.stdout).toBe('');

    edit('src/cli/commands/status.ts', 'export function runsCommand(', 'export function runsCommand');
    const fixed = await roas(['--help']);
    expect(fixed.exitCode, fixed.stderr).toBe(0);
  });
});
