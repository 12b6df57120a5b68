// The production image installs `dependencies` only (npm ci --omit=dev): every package the
// worker's and the CLI's bundles import at run time must be one of them, or the image's worker,
// migrate and schedules jobs die at start with ERR_MODULE_NOT_FOUND. Found once by the deployment tier (a YAML reader the
// ETL started to use was a dev dependency); checked here in seconds.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/platform/config';

/** The package a bare import names: `pg`, `@temporalio/client`, not `@temporalio/client/lib/x`. */
const packageOf = (spec: string) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

describe('the production worker', () => {
  it.each([
    ['worker (and the migrate job)', 'src/worker/main.ts'],
    ['roas command line (the schedules job)', 'src/cli/main.ts'],
  ])('%s imports no package that the production install leaves out', async (_what, entry) => {
    const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    // As `npm run build` bundles it: project code inlined, packages left as imports.
    const result = await build({
      absWorkingDir: PROJECT_ROOT,
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      write: false,
      metafile: true,
      outfile: path.join(PROJECT_ROOT, 'dist', 'dependency-check.mjs'),
      logLevel: 'silent',
    });
    const imported = new Set(
      Object.values(result.metafile.outputs)
        .flatMap((o) => o.imports)
        .filter((i) => i.external && !i.path.startsWith('node:') && !builtinModules.includes(i.path))
        .map((i) => packageOf(i.path)),
    );
    expect(imported.size).toBeGreaterThan(5);
    expect([...imported].filter((p) => !(p in pkg.dependencies)).sort()).toEqual([]);
  });
});
