// The layers of the code (.dependency-cruiser.cjs says them): checked by dependency-cruiser on
// the real tree, and each rule shown to catch the arrow it forbids, on a small tree written for
// the purpose with one deliberately wrong import.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/platform/config';

const config = createRequire(import.meta.url)(path.join(PROJECT_ROOT, '.dependency-cruiser.cjs')) as IConfiguration;

async function violations(baseDir: string, roots: string[], tsConfig?: string): Promise<{ rule: string; from: string; to: string }[]> {
  const previous = process.cwd();
  process.chdir(baseDir);
  try {
    const result = await cruise(roots, { ...config.options, ruleSet: { forbidden: config.forbidden }, validate: true, ...(tsConfig ? { tsConfig: { fileName: tsConfig } } : { tsConfig: undefined }) });
    return (result.output as ICruiseResult).summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
  } finally {
    process.chdir(previous);
  }
}

describe('the layers of the code', () => {
  it('the code as it is breaks no rule', async () => {
    const found = await violations(PROJECT_ROOT, ['src', 'workflows', 'activities'], 'tsconfig.json');
    expect(found).toEqual([]);
  }, 60_000);

  // One tree per rule: the files a layer has, and one import that must be refused.
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'roas-layers-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const FILES = [
    'src/core/types.ts',
    'src/platform/config.ts',
    'src/artifacts/artifacts.ts',
    'src/client/runs.ts',
    'src/dashboard/data.ts',
    'src/worker/worker.ts',
    'src/cli/main.ts',
    'src/local/start.ts',
    'activities/index.ts',
    'workflows/index.ts',
  ];
  const WRONG: [rule: string, from: string, imports: string][] = [
    ['core-is-pure', 'src/core/types.ts', "import { x } from '../platform/config';"],
    ['workflows-are-deterministic', 'workflows/index.ts', "import { x } from '../activities/index';"],
    ['activities-never-import-workflows', 'activities/index.ts', "import { x } from '../workflows/index';"],
    ['activities-below-entry-points', 'activities/index.ts', "import { x } from '../src/worker/worker';"],
    ['platform-is-low', 'src/platform/config.ts', "import { x } from '../client/runs';"],
    ['artifacts-and-client-are-low', 'src/client/runs.ts', "import { x } from '../../workflows/index';"],
    ['dashboard-below-worker', 'src/dashboard/data.ts', "import { x } from '../worker/worker';"],
    ['entry-points-apart', 'src/cli/main.ts', "import { x } from '../worker/worker';"],
    ['production-never-imports-the-local-stack', 'src/worker/worker.ts', "import { x } from '../local/start';"],
    ['no-circular', 'src/local/start.ts', "import { x } from '../cli/main';"],
  ];

  it.each(WRONG)('%s: refuses %s importing what it must not', async (rule, from, line) => {
    const dir = path.join(tmp, rule);
    for (const f of FILES) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), 'export const x = 1;\n');
    }
    writeFileSync(path.join(dir, from), `${line}\nexport const y = x;\n`);
    if (rule === 'no-circular') writeFileSync(path.join(dir, 'src/cli/main.ts'), "import { y } from '../local/start';\nexport const x = y;\n");
    // Without the wrong import, the same tree is clean: the rule, not the tree, refuses it.
    const found = await violations(dir, ['src', 'workflows', 'activities']);
    expect(found.map((v) => v.rule)).toContain(rule);
    writeFileSync(path.join(dir, from), 'export const x = 1;\n');
    if (rule === 'no-circular') writeFileSync(path.join(dir, 'src/cli/main.ts'), 'export const x = 1;\n');
    expect(await violations(dir, ['src', 'workflows', 'activities'])).toEqual([]);
  }, 60_000);
});
