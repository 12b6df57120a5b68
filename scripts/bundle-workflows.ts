// Pre-bundles the workflow code for the production worker (dist/workflow-bundle.js), so the
// worker starts without webpack and with less memory.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { exitOnError } from '../src/platform/exit-on-error';
import { PROJECT_ROOT } from '../src/platform/config';
import { WORKFLOW_BUNDLE_PATH, WORKFLOWS_PATH } from '../src/platform/build-paths';

async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
  mkdirSync(path.dirname(WORKFLOW_BUNDLE_PATH), { recursive: true });
  writeFileSync(WORKFLOW_BUNDLE_PATH, code);
  console.log(`wrote ${path.relative(PROJECT_ROOT, WORKFLOW_BUNDLE_PATH)} (${(code.length / 1024).toFixed(0)} KiB)`);
}

main().catch(exitOnError);
