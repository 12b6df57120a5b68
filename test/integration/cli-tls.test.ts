// `roas` reaches a Temporal server that speaks only TLS, with the worker's settings
// (TEMPORAL_TLS, TEMPORAL_TLS_CA_PATH). The dev server has no TLS of its own, so it sits behind a
// TLS-terminating proxy here, with a certificate made for the test.
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/platform/config';
import { useTestDatabase } from '../helpers/db';

describe('roas against a Temporal server that requires TLS', () => {
  const db = useTestDatabase(import.meta.url);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-tls-'));
  let proxy: tls.Server;
  let port = 0;

  beforeAll(async () => {
    await execa('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ]);
    const [host, backendPort] = inject('temporalAddress').split(':');
    proxy = tls.createServer(
      { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')), ALPNProtocols: ['h2'] },
      (socket) => {
        const backend = net.connect(Number(backendPort), host);
        socket.pipe(backend).pipe(socket);
        socket.on('error', () => backend.destroy());
        backend.on('error', () => socket.destroy());
      },
    );
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    port = (proxy.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => proxy?.close(resolve));
  });

  const roas = (env: Record<string, string>) =>
    execa(path.join(PROJECT_ROOT, 'bin', 'roas'), ['runs', '--status', 'running'], {
      reject: false,
      env: { DATABASE_URL: db.url, TEMPORAL_ADDRESS: `localhost:${port}`, LOG_LEVEL: 'warn', ...env },
    });

  it('connects with TEMPORAL_TLS and the CA, as the worker does', async () => {
    const r = await roas({ TEMPORAL_TLS: 'true', TEMPORAL_TLS_CA_PATH: path.join(dir, 'cert.pem') });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('Temporal query');
  });

  it('without the TLS settings it says Temporal is not reachable (exit 1), and a CA file it cannot read is named', async () => {
    const plain = await roas({});
    expect(plain.exitCode).not.toBe(0);
    expect(plain.stderr).toContain(`Temporal is not reachable at localhost:${port}`);
    const missing = await roas({ TEMPORAL_TLS: 'true', TEMPORAL_TLS_CA_PATH: path.join(dir, 'nope.pem') });
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr).toMatch(/TEMPORAL_TLS_CA_PATH/);
  });
});
