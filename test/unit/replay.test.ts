// Every recorded workflow history (test/fixtures/histories, recorded from the integration and
// workflow tests) replays against the current workflow code. A change that would break runs
// in flight — an activity call reordered, added or removed without patched() — fails here
// with the workflow's name and the event where the code and the history part ways.
// Refresh the fixtures: see test/helpers/histories.ts.
// No server: replay needs only the workflow code, bundled here.
import { readdirSync } from 'node:fs';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../../src/platform/build-paths';
import { HISTORIES_DIR, loadHistory } from '../helpers/histories';

Runtime.install({ logger: new DefaultLogger('WARN') });
let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
}, 120_000);

const files = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('recorded histories replay against the current workflow code', () => {
  it('has histories of every kind of run', () => {
    const names = files.map((f) => f.replace(/\.json$/, ''));
    for (const kind of [
      'dbt-daily-run-succeeded',
      'dbt-daily-run-retried-then-succeeded',
      'dbt-daily-run-failed-test',
      'dbt-daily-run-cancelled',
      'dbt-daily-run-sla-missed',
      'dbt-daily-run-flink-gate-deadline',
      'backfill-dbt-3-days',
      'scheduled-dbt-daily-run-launcher',
      'daily-etl-waited-for-dbt-then-succeeded',
    ]) {
      // The 1.0 baseline records every kind as <kind>; a release after 1.0 keeps the earlier ones as <version>-<kind>.
      expect(names.filter((n) => n === kind || n.endsWith(`-${kind}`)), kind).not.toEqual([]);
    }
  });

  it.each(files)('%s', async (file) => {
    const history = loadHistory(file);
    await Worker.runReplayHistory({ workflowBundle: bundle, replayName: file }, history, file.replace(/\.json$/, ''));
  });
});

// The rule for every change after 1.0, shown on a real change: made without a patch it fails
// here, made behind patched() it replays.
describe('a workflow change after 1.0', () => {
  const history = loadHistory('dbt-daily-run-succeeded.json');
  const bundleOf = (file: string) => bundleWorkflowCode({ workflowsPath: new URL(`../fixtures/changed-workflows/${file}`, import.meta.url).pathname, logger: new DefaultLogger('WARN') });

  it('made without patched() does not replay a run recorded before it', async () => {
    const changed = await bundleOf('unpatched.ts');
    await expect(Worker.runReplayHistory({ workflowBundle: changed, replayName: 'unpatched' }, history, 'dbt-daily-run-succeeded')).rejects.toThrow(/[Nn]ondetermin/);
  }, 120_000);

  it('made behind patched() replays it', async () => {
    const changed = await bundleOf('patched.ts');
    await Worker.runReplayHistory({ workflowBundle: changed, replayName: 'patched' }, history, 'dbt-daily-run-succeeded');
  }, 120_000);
});
