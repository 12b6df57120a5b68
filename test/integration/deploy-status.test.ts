// `roas deploy status` against the real dev server, which has no Worker Deployment of that name
// (as on the local stack, whose workers are unversioned): one sentence, exit 0, no gRPC trace.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/platform/config';

const roas = path.join(PROJECT_ROOT, 'bin', 'roas');

describe('roas deploy status on a server without the Worker Deployment', () => {
  it('says in one sentence that none exists and what that means, and exits 0', async () => {
    const name = `never-deployed-${randomUUID().slice(0, 8)}`;
    const r = await execa(roas, ['deploy', 'status'], {
      reject: false,
      timeout: 60_000,
      env: { TEMPORAL_ADDRESS: inject('temporalAddress'), ROAS_DEPLOYMENT_NAME: name, LOG_LEVEL: 'warn' },
    });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^No Worker Deployment "${name}" exists on this Temporal server \\(namespace default\\): its workers run unversioned`));
    expect(r.stdout).not.toMatch(/NOT_FOUND|at .*\.js:\d+/);
  });
});
