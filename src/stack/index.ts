// The local stack, in the order things depend on each other: the venv (dbt, Temporal binaries),
// PostgreSQL (migrated), the Temporal server. Each piece is reused when already running and
// stopped on the way out only when we started it.
import type { Config } from '../config';
import type { Logger } from '../logger';
import { startPostgres, type PostgresHandle } from './postgres';
import { startTemporal, type TemporalHandle } from './temporal';
import { ensureVenv, type VenvTools } from './venv';

export interface LocalStack {
  tools: VenvTools;
  postgres: PostgresHandle;
  temporal: TemporalHandle;
  stop(): Promise<void>;
}

export async function startLocalStack(config: Config, log: Logger): Promise<LocalStack> {
  const tools = await ensureVenv(config, log);
  const postgres = await startPostgres(config, log);
  let temporal: TemporalHandle;
  try {
    temporal = await startTemporal(config, tools.temporal, log);
  } catch (err) {
    await postgres.stop();
    throw err;
  }
  return {
    tools,
    postgres,
    temporal,
    stop: async () => {
      await temporal.stop();
      await postgres.stop();
    },
  };
}
