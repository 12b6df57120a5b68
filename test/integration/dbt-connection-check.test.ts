// The first vertical slice on real parts: dev server → worker → activity → dbt → PostgreSQL.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbtConnectionCheck } from '../../workflows';
import { withRealWorker } from '../helpers/real-worker';
import { testConfig } from '../helpers/config';
import { useTestDatabase } from '../helpers/db';
import { connectDevServer, uniqueTaskQueue } from '../helpers/temporal';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';

describe('dbtConnectionCheck on the real stack', () => {
  const db = useTestDatabase(import.meta.url);
  let temporal: Awaited<ReturnType<typeof connectDevServer>>;
  const artifactsDir = mkdtempSync(path.join(os.tmpdir(), 'roas-artifacts-'));
  beforeAll(async () => {
    temporal = await connectDevServer();
  });
  afterAll(async () => {
    await temporal?.close();
  });

  async function runCheck(databaseUrl: string) {
    // The retries are the worker's: 1 s apart, 2 attempts here.
    const config = testConfig({ DBT_ARTIFACTS_DIR: artifactsDir, ROAS_RETRY_INTERVAL: '1s', ROAS_RETRY_ATTEMPTS: '2' });
    const taskQueue = uniqueTaskQueue('dbt-check');
    return withRealWorker({ config, connection: temporal.nativeConnection, databaseUrl, taskQueue }, () =>
      temporal.client.workflow.execute(dbtConnectionCheck, { taskQueue, workflowId: taskQueue, args: [{}] }),
    );
  }

  it('runs dbt debug through the worker against PostgreSQL', async () => {
    const result = await runCheck(db.url);
    expect(result.dbtVersion).toMatch(/^1\.11\.\d+$/);
    expect(existsSync(path.join(result.targetPath, 'logs', 'dbt.log'))).toBe(true);
    const { rows } = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM information_schema.schemata WHERE schema_name IN ('realtime', 'analytics')",
    );
    expect(rows[0]?.n).toBe(2);
  });

  it('fails as a retryable connection error when PostgreSQL is unreachable', async () => {
    const unreachable = 'postgres://roas@127.0.0.1:1/marketing_roas';
    const error = await runCheck(unreachable).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause?.cause as { type?: string; message?: string } | undefined;
    expect(cause?.type).toBe('DbtConnectionError');
  });
});
