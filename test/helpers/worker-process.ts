// The production worker (src/worker/main.ts) as a child process, as it runs in a container.
import { execa, type ResultPromise } from 'execa';
import { PROJECT_ROOT } from '../../src/platform/config';
import { WORKER_BUILD_PATH } from '../../src/platform/build-paths';
import { ephemeralPort } from '../../src/local/stack/ports';
import { eventually } from './temporal';

export interface WorkerProcess {
  process: ResultPromise;
  pid: number;
  httpPort: number;
  health(): Promise<{ status: number; body: Record<string, unknown> }>;
  metrics(): Promise<string>;
}

export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const httpPort = await ephemeralPort();
  const metricsPort = await ephemeralPort();
  // As in the image: plain node on the build made by the global setup; SIGTERM reaches the worker itself.
  const child = execa(process.execPath, [WORKER_BUILD_PATH], {
    reject: false,
    cwd: PROJECT_ROOT,
    // A graceful stop takes a few seconds: never let execa escalate to SIGKILL on its own.
    forceKillAfterDelay: false,
    env: { LOG_LEVEL: 'info', ROAS_HTTP_PORT: String(httpPort), TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`, ...env },
  });
  const health = async () => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  await eventually('the worker process to be healthy', async () => (await health()).status === 200, 90_000);
  return {
    process: child,
    pid: child.pid!,
    httpPort,
    health,
    metrics: async () => (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text(),
  };
}
