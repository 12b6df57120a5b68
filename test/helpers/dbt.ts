import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { createDbtRunner, type DbtCommand } from '../../activities/dbt/runner';
import { readRunResults, type DbtNodeResult } from '../../activities/dbt/run-results';
import { PROJECT_ROOT } from '../../src/config';

/** Runs real dbt against a test database, each invocation in its own target path. */
export function dbtFor(databaseUrl: string) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'roas-dbt-'));
  const runner = createDbtRunner({ dbtBin: inject('dbtBin'), projectDir: path.join(PROJECT_ROOT, 'dbt'), databaseUrl, threads: 4 });
  let n = 0;
  return async (command: DbtCommand, opts: { runDate?: string; select?: string[]; extraArgs?: string[] } = {}) => {
    const targetPath = path.join(root, `${String(++n).padStart(3, '0')}-${command}-${opts.runDate ?? 'none'}`);
    const result = await runner({
      command,
      targetPath,
      select: opts.select,
      vars: opts.runDate ? { run_date: opts.runDate } : undefined,
      extraArgs: opts.extraArgs,
    });
    const nodes: DbtNodeResult[] = readRunResults(targetPath)?.nodes ?? [];
    return { ...result, nodes, targetPath };
  };
}

/** Tests that did not pass, by name, with their status. */
export function notPassing(nodes: DbtNodeResult[]): Record<string, string> {
  return Object.fromEntries(nodes.filter((n) => n.resourceType === 'test' && n.status !== 'pass').map((n) => [n.name, n.status]));
}
