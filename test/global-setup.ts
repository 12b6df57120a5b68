// Starts the real servers once for the whole vitest run: PostgreSQL (the local cluster, or
// DATABASE_URL) and a headless, in-memory Temporal dev server on a free port. Bundles the
// workflow code once so each test's worker starts in milliseconds.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import { ensureSearchAttributes } from '../src/platform/search-attributes';
import type { TestProject } from 'vitest/node';
import { loadConfig, PROJECT_ROOT } from '../src/platform/config';
import { createLogger } from '../src/platform/logger';
import { startPostgres } from '../src/local/stack/postgres';
import { ephemeralPort } from '../src/local/stack/ports';
import { spawnDevServer } from '../src/local/stack/temporal';
import { ensureVenv } from '../src/local/stack/venv';
import { WORKER_BUILD_PATH, WORKFLOW_BUNDLE_PATH, WORKFLOWS_PATH } from '../src/platform/build-paths';
import { execa } from 'execa';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    databaseUrl: string;
    dbtBin: string;
    temporalTestServerBin: string;
    workflowBundlePath: string;
  }
}

interface Servers {
  values: { temporalAddress: string; databaseUrl: string; dbtBin: string; temporalTestServerBin: string; workflowBundlePath: string };
  stop(): Promise<void>;
}

// Every project that needs servers (workflow, integration, faults) runs this setup; they share
// one set, started by the first and stopped by the last (they run in the one vitest process).
const shared = globalThis as typeof globalThis & { roasTestServers?: { users: number; servers: Promise<Servers> } };

export default async function setup(project: TestProject) {
  shared.roasTestServers ??= { users: 0, servers: startServers() };
  const entry = shared.roasTestServers;
  entry.users++;
  const servers = await entry.servers;
  for (const [key, value] of Object.entries(servers.values)) project.provide(key as keyof Servers['values'], value);
  return async () => {
    if (--entry.users > 0) return;
    shared.roasTestServers = undefined;
    await servers.stop();
  };
}

async function startServers(): Promise<Servers> {
  const config = loadConfig();
  const log = createLogger('warn', 'test-setup');
  const tools = await ensureVenv(config, log);
  const postgres = await startPostgres(config, log);
  const testDir = path.join(config.localDir, 'test');
  mkdirSync(testDir, { recursive: true });
  const port = await ephemeralPort();
  const temporal = await spawnDevServer({
    binary: tools.temporal,
    port,
    logFile: path.join(testDir, 'temporal-dev-server.log'),
  });
  // As the project's worker does at start (tests also start bare workers on this server).
  {
    const connection = await NativeConnection.connect({ address: `127.0.0.1:${port}` });
    await ensureSearchAttributes(connection, 'default');
    await connection.close();
  }
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  const workflowBundlePath = path.join(testDir, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, bundle.code);
  // The production worker as the image runs it: dist/worker.mjs with the pre-built workflows.
  mkdirSync(path.dirname(WORKFLOW_BUNDLE_PATH), { recursive: true });
  writeFileSync(WORKFLOW_BUNDLE_PATH, bundle.code);
  await execa(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'esbuild'), [
    'src/worker/main.ts',
    '--bundle',
    '--platform=node',
    '--format=esm',
    '--packages=external',
    `--outfile=${WORKER_BUILD_PATH}`,
    '--log-level=warning',
  ], { cwd: PROJECT_ROOT });
  // The `roas` bundle, built once here rather than by the first tests that spawn bin/roas at once.
  await execa(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/build-cli.ts'], { cwd: PROJECT_ROOT });

  return {
    values: {
      temporalAddress: `127.0.0.1:${port}`,
      databaseUrl: postgres.url,
      dbtBin: tools.dbt,
      temporalTestServerBin: tools.temporalTestServer,
      workflowBundlePath,
    },
    stop: async () => {
      await temporal.stop();
      await postgres.stop();
    },
  };
}

const noop = () => {};
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
