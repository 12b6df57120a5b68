// Where the workflow code and the builds are: the worker, the CLI's validate command, the build
// scripts and the tests all look in the same places.
import path from 'node:path';
import { PROJECT_ROOT } from './config';

export const WORKFLOWS_PATH = path.join(PROJECT_ROOT, 'workflows', 'index.ts');
/** Written by `npm run build:workflows` (the Docker image does it at build time). */
export const WORKFLOW_BUNDLE_PATH = path.join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');
/** The production worker, bundled by `npm run build` (src/worker/main.ts → dist/worker.mjs). */
export const WORKER_BUILD_PATH = path.join(PROJECT_ROOT, 'dist', 'worker.mjs');
