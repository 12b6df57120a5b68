// The dashboard's routes on a real HTTP server of their own (every interface, a free port), as the
// worker's health server serves them, and an address of this machine other than loopback.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { createDashboardRoutes, type DashboardOptions } from '../../src/dashboard/server';

/** An IPv4 address of this machine that is not loopback, if it has one. */
export function outsideAddress(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

export async function serveDashboard(opts: DashboardOptions): Promise<{ port: number; close: () => Promise<void> }> {
  const routes = createDashboardRoutes(opts);
  const server = http.createServer((req, res) => {
    if (!routes.handle(req, res)) {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}
