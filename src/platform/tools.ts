// Where the tools the project runs live: the Python venv (ROAS_VENV_DIR) carries dbt and the
// Temporal binaries, on a developer's machine and in the worker image alike.
import path from 'node:path';

export interface VenvTools {
  dbt: string;
  temporal: string;
  temporalTestServer: string;
  hadolint: string;
}

export function venvTools(venvDir: string): VenvTools {
  const bin = path.join(venvDir, 'bin');
  return {
    dbt: path.join(bin, 'dbt'),
    temporal: path.join(bin, 'temporal'),
    temporalTestServer: path.join(bin, 'temporal-test-server'),
    hadolint: path.join(bin, 'hadolint'),
  };
}

