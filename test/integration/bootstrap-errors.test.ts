// Bad settings and missing tools: one clear message, a non-zero exit, nothing left running.
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/platform/config';
import { ephemeralPort } from '../../src/local/stack/ports';

const tsx = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');

function runScript(script: string, env: Record<string, string>) {
  return execa(tsx, [path.join(PROJECT_ROOT, script)], {
    cwd: PROJECT_ROOT,
    reject: false,
    timeout: 90_000,
    env: { LOG_LEVEL: 'warn', DATABASE_URL: '', TEMPORAL_ADDRESS: '', ...env },
  });
}

async function occupy(port: number): Promise<net.Server> {
  const server = net.createServer((socket) => socket.end('not temporal, not postgres\n'));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

/** A fresh .local for one test; readable by the unprivileged user PostgreSQL runs as. */
const localDirs: string[] = [];
function freshLocalDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-local-'));
  chmodSync(dir, 0o755);
  localDirs.push(dir);
  return dir;
}

describe('bootstrap and start refuse bad settings', () => {
  const servers: net.Server[] = [];
  afterAll(() => {
    servers.forEach((s) => s.close());
    localDirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  it('a malformed DATABASE_URL: exit 2, names the variable', async () => {
    const r = await runScript('scripts/bootstrap.ts', { DATABASE_URL: 'localhost:5432' });
    expect(r.exitCode).toBe(2);
    // A value that is not a postgres:// URL may be anything, a password included: named, never shown.
    expect(r.stderr).toContain('DATABASE_URL (a secret, not shown; 14 characters)');
    expect(r.stderr).not.toContain('localhost:5432');
    expect(r.stderr).toContain('postgres://');
    expect(r.stderr.split('\n').length).toBeLessThan(5);
  });

  it('an unreachable DATABASE_URL: exit 1, says how to fix', async () => {
    const port = await ephemeralPort();
    const r = await runScript('scripts/bootstrap.ts', { DATABASE_URL: `postgres://roas:secret@127.0.0.1:${port}/marketing_roas` });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('refused the connection');
    expect(r.stderr).toContain('DATABASE_URL');
    expect(r.stderr).not.toContain('secret');
  });

  it('ROAS_PG_PORT taken by another program: exit 1, no cluster started', async () => {
    const port = await ephemeralPort();
    servers.push(await occupy(port));
    const localDir = freshLocalDir();
    const r = await runScript('scripts/bootstrap.ts', { ROAS_LOCAL_DIR: localDir, ROAS_PG_PORT: String(port) });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`ROAS_PG_PORT=${port}`);
    expect(r.stderr).toContain('in use');
    expect(existsSync(path.join(localDir, 'pg', 'data', 'postmaster.pid'))).toBe(false);
  });

  it('TEMPORAL_PORT taken by a program that is not Temporal: exit 1, PostgreSQL it started is stopped', async () => {
    const port = await ephemeralPort();
    servers.push(await occupy(port));
    const localDir = freshLocalDir();
    const r = await runScript('src/local/start.ts', {
      ROAS_LOCAL_DIR: localDir,
      TEMPORAL_PORT: String(port),
      TEMPORAL_UI_PORT: String(await ephemeralPort()),
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`TEMPORAL_PORT=${port}`);
    expect(r.stderr).toContain('not Temporal');
    // The cluster was created and started before the Temporal check, then stopped again.
    expect(existsSync(path.join(localDir, 'pg', 'data', 'PG_VERSION'))).toBe(true);
    expect(existsSync(path.join(localDir, 'pg', 'data', 'postmaster.pid'))).toBe(false);
  });

  it('no usable python: exit 1, says what to install', async () => {
    const venv = path.join(mkdtempSync(path.join(os.tmpdir(), 'roas-venv-')), 'venv');
    const r = await runScript('scripts/bootstrap.ts', { ROAS_VENV_DIR: venv, ROAS_PYTHON: '/nonexistent/python3' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('Python 3.9+');
    expect(r.stderr).toContain('apt-get install python3');
  });
});
