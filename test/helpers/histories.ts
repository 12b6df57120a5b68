// Workflow histories recorded from the test runs, replayed by test/unit/replay.test.ts against
// the current workflow code. Refresh them with:
//   ROAS_RECORD_HISTORIES=1 npx vitest run test/workflow test/integration/dbt-daily-run.test.ts test/integration/schedules.test.ts test/integration/daily-etl.test.ts
// Without that variable keepHistory does nothing.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import proto, { type temporal } from '@temporalio/proto';

// A CommonJS package: under plain Node its namespace is reached through the default export.
const { History } = proto.temporal.api.history.v1;
import { PROJECT_ROOT } from '../../src/platform/config';

export const HISTORIES_DIR = path.join(PROJECT_ROOT, 'test', 'fixtures', 'histories');

export async function keepHistory(client: Client, workflowId: string, name: string, runId?: string): Promise<void> {
  if (process.env.ROAS_RECORD_HISTORIES !== '1') return;
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  mkdirSync(HISTORIES_DIR, { recursive: true });
  const json = History.toObject(history as temporal.api.history.v1.History, JSON_FORM);
  writeFileSync(path.join(HISTORIES_DIR, `${name}.json`), JSON.stringify(json, null, 1));
}

/** Numbers too large for JSON as strings, enums by name, payload bytes in base64. */
const JSON_FORM = { longs: String, enums: String, bytes: String } as const;

/** A recorded history, as the replay worker takes it. */
export function loadHistory(file: string): temporal.api.history.v1.History {
  return History.fromObject(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as Record<string, unknown>);
}
