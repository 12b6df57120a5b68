// The local stack, in the order things depend on each other: the venv (dbt, Temporal binaries),
// PostgreSQL (migrated), the Temporal server. Each piece is reused when already running and
// stopped on the way out only when we started it. What we start is recorded under
// <localDir>/stack/ so `roas stack stop` can stop it, should this process die without doing so;
// the next `npm start` then takes over what still answers and replaces what does not.
import type { Config } from '../../platform/config';
import { redactUrl } from '../../platform/db/url';
import type { Logger } from '../../platform/logger';
import { forgetProcess, leftRunning, recordProcess } from './pids';
import { startPostgres, type PostgresHandle } from './postgres';
import { startTemporal, type TemporalHandle } from './temporal';
import { ensureVenv } from './venv';
import type { VenvTools } from '../../platform/tools';

export interface LocalStack {
  tools: VenvTools;
  postgres: PostgresHandle;
  temporal: TemporalHandle;
  stop(): Promise<void>;
}

export async function startLocalStack(config: Config, log: Logger): Promise<LocalStack> {
  const tools = await ensureVenv(config, log);
  // What a previous `npm start`, killed with -9, left running: taken over if it answers,
  // replaced if not; records of processes that are gone are removed.
  const left = leftRunning(config.localDir);
  const leftPostgres = left.find((r) => r.kind === 'postgres');
  const postgres = await startPostgres(config, log, { takeOver: Boolean(leftPostgres) });
  if (leftPostgres && leftPostgres.pid !== postgres.pid) forgetProcess(config.localDir, 'postgres', leftPostgres.pid);
  if (postgres.startedByUs && postgres.pid) {
    // SIGINT: PostgreSQL's fast shutdown (what pg_ctl stop -m fast sends).
    const address = new URL(postgres.url).host;
    recordProcess(config.localDir, { kind: 'postgres', name: 'PostgreSQL', pid: postgres.pid, stopSignal: 'SIGINT', detail: postgres.dataDir ?? redactUrl(postgres.url), address });
  }
  const stopPostgres = async () => {
    await postgres.stop();
    if (postgres.pid) forgetProcess(config.localDir, 'postgres', postgres.pid);
  };
  let temporal: TemporalHandle;
  try {
    temporal = await startTemporal(config, tools.temporal, log, left.find((r) => r.kind === 'temporal'));
  } catch (err) {
    await stopPostgres();
    throw err;
  }
  if (temporal.startedByUs && temporal.pid) {
    recordProcess(config.localDir, { kind: 'temporal', name: 'the Temporal dev server', pid: temporal.pid, detail: temporal.address, address: temporal.address });
  }
  return {
    tools,
    postgres,
    temporal,
    stop: async () => {
      await temporal.stop();
      if (temporal.pid) forgetProcess(config.localDir, 'temporal', temporal.pid);
      await stopPostgres();
    },
  };
}

/** The last line of `npm start`: what it stopped, and what it found running and left so. */
export function stoppedLine(stack: Pick<LocalStack, 'postgres' | 'temporal'> | undefined, { worker }: { worker: boolean }): string {
  const stopped = worker ? ['the worker'] : [];
  const left: string[] = [];
  if (stack?.temporal.startedByUs) stopped.push('the Temporal dev server');
  else if (stack) left.push(`Temporal at ${stack.temporal.address}`);
  if (stack?.postgres.startedByUs) stopped.push('PostgreSQL');
  else if (stack) left.push(`PostgreSQL at ${redactUrl(stack.postgres.url)}`);
  const list = (xs: string[]) => (xs.length > 1 ? `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}` : xs[0]!);
  const head = stopped.length ? `Stopped ${list(stopped)}` : 'Stopped';
  return `${head}: nothing this command started is still running.${left.length ? ` Left running as found: ${list(left)}.` : ''}`;
}
