// Whether a recorded process is not only alive but doing its job: the Temporal dev server
// answers its frontend, PostgreSQL answers a query, `npm start`'s worker answers /healthz. A PID
// that is alive proves little: a server can hold its port and answer nothing (half-dead).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ProcessRecord } from './pids';

export type Liveness = { answering: true; line: string } | { answering: false; line: string };

const TIMEOUT_MS = 3_000;

/** The address a record answers at: recorded, or (older records) worked out from its detail. */
function addressOf(r: ProcessRecord): string | undefined {
  if (r.address) return r.address;
  if (r.kind === 'temporal' && /^[\w.-]+:\d+$/.test(r.detail)) return r.detail;
  if (r.kind === 'postgres') {
    // postmaster.pid's fourth line is the port.
    const pidFile = path.join(r.detail, 'postmaster.pid');
    const port = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[3]) : NaN;
    return Number.isInteger(port) && port > 0 ? `127.0.0.1:${port}` : undefined;
  }
  return undefined;
}

async function temporalAnswersAt(address: string): Promise<boolean> {
  const { temporalAnswers } = await import('./temporal');
  return temporalAnswers(address, TIMEOUT_MS);
}

async function postgresAnswersAt(address: string): Promise<boolean> {
  const { default: pg } = await import('pg');
  const { LOCAL_DB_USER } = await import('./postgres');
  const client = new pg.Client({ connectionString: `postgres://${LOCAL_DB_USER}@${address}/postgres`, connectionTimeoutMillis: TIMEOUT_MS, query_timeout: TIMEOUT_MS });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function healthAt(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return undefined;
  }
}

/** Asks a running recorded process whether it answers (a record without an address: alive is all we know). */
export async function liveness(r: ProcessRecord): Promise<Liveness> {
  const address = addressOf(r);
  if (!address) return { answering: true, line: 'running' };
  switch (r.kind) {
    case 'temporal':
      return (await temporalAnswersAt(address)) ? { answering: true, line: `running, answering at ${address}` } : notAnswering(address);
    case 'postgres':
      return (await postgresAnswersAt(address)) ? { answering: true, line: `running, answering at ${address}` } : notAnswering(address);
    case 'npm-start': {
      const status = await healthAt(address);
      if (status === 200) return { answering: true, line: `running, its worker healthy (${address})` };
      return {
        answering: false,
        line: `running, but its worker is not healthy (${address} ${status === undefined ? 'does not answer' : `answers ${status}`}): starting, or stuck; \`roas stack stop\` stops it`,
      };
    }
  }
}

function notAnswering(address: string): Liveness {
  return {
    answering: false,
    line: `its process is alive but it does not answer at ${address} (half-dead): the next \`npm start\` replaces it, or \`roas stack stop\` stops it`,
  };
}
