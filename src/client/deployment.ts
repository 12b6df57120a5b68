// Workers as a Temporal Worker Deployment: each worker says which version of the code it runs
// (deployment name + build ID); Temporal sends a new run to the deployment's current version and
// keeps every run already started on the version that started it (the pipelines are pinned), so
// a deploy never replays a run in flight on code it did not start with. The old version keeps
// its runs until they finish (it "drains"); then its workers can stop.
import type { NativeConnection } from '@temporalio/worker';

export interface DeploymentSettings {
  deploymentName: string;
  buildId: string;
}

type Service = Pick<NativeConnection, 'workflowService'>['workflowService'];

export interface VersionView {
  buildId: string;
  current: boolean;
  ramping: boolean;
  /** Temporal's word for what is left on it: draining (pinned runs still open), drained, or unknown. */
  drainage: string;
  status: string;
  createdAt: Date | undefined;
}

export interface DeploymentView {
  deploymentName: string;
  currentBuildId: string | undefined;
  versions: VersionView[];
}

const DRAINAGE = ['unspecified', 'draining', 'drained'];
const STATUS = ['unspecified', 'inactive', 'current', 'ramping', 'draining', 'drained'];

function toDate(t: { seconds?: unknown; nanos?: number | null } | null | undefined): Date | undefined {
  if (!t?.seconds) return undefined;
  return new Date(Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6));
}

/**
 * Whether the server said the deployment does not exist (gRPC NOT_FOUND, "no Worker Deployment
 * found …"), rather than that the namespace does not, or anything else.
 */
export function isNoDeploymentError(err: unknown): boolean {
  const { code, message } = err as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : '';
  const notFound = code === 5 || /NOT_FOUND|not found/i.test(text);
  return notFound && !/namespace/i.test(text);
}

/** The deployment's versions, newest first, and which one new runs go to; undefined if it has none yet. */
export async function describeDeployment(service: Service, namespace: string, deploymentName: string): Promise<DeploymentView | undefined> {
  let info;
  try {
    info = (await service.describeWorkerDeployment({ namespace, deploymentName })).workerDeploymentInfo;
  } catch (err) {
    if (isNoDeploymentError(err)) return undefined;
    throw err;
  }
  const routing = info?.routingConfig;
  const currentBuildId = routing?.currentDeploymentVersion?.buildId ?? undefined;
  const rampingBuildId = routing?.rampingDeploymentVersion?.buildId ?? undefined;
  const versions = (info?.versionSummaries ?? [])
    .map((v) => {
      const buildId = v.deploymentVersion?.buildId ?? String(v.version ?? '').split('.').pop() ?? '';
      return {
        buildId,
        current: buildId === currentBuildId,
        ramping: buildId === rampingBuildId,
        drainage: DRAINAGE[Number(v.drainageStatus ?? 0)] ?? 'unspecified',
        status: STATUS[Number(v.status ?? 0)] ?? 'unspecified',
        createdAt: toDate(v.createTime),
      };
    })
    .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
  return { deploymentName, currentBuildId, versions };
}

/**
 * Makes a version the one new runs go to (its workers must have polled, i.e. be running). A
 * worker's workflow and activity pollers reach the server one after the other: a version that
 * has shown only one of them yet is refused ("missing active task queues"), so that refusal is
 * tried again for up to `waitMs`.
 */
export async function promoteVersion(
  service: Service,
  namespace: string,
  settings: DeploymentSettings,
  identity: string,
  opts: { waitMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.waitMs ?? 30_000);
  for (;;) {
    try {
      await service.setWorkerDeploymentCurrentVersion({
        namespace,
        deploymentName: settings.deploymentName,
        buildId: settings.buildId,
        identity,
        // The pipelines' task queue is the only one; a version that has not seen it yet is refused.
        ignoreMissingTaskQueues: false,
      });
      return;
    } catch (err) {
      if (!/missing active task queues/i.test((err as Error).message) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * At worker start: when the deployment has no current version yet (its first deploy), this
 * worker's version becomes current, so runs start at all. A later version waits for an
 * operator's `roas deploy promote`. Returns what it did.
 */
export async function promoteIfFirst(
  service: Service,
  namespace: string,
  settings: DeploymentSettings,
  identity: string,
  opts: { timeoutMs?: number } = {},
): Promise<'promoted' | 'already-current' | 'waiting-for-promotion'> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  // The version exists once this worker's pollers have reached the server: try until it does.
  for (;;) {
    try {
      const view = await describeDeployment(service, namespace, settings.deploymentName);
      if (view?.currentBuildId === settings.buildId) return 'already-current';
      if (view?.currentBuildId) return 'waiting-for-promotion';
      await promoteVersion(service, namespace, settings, identity, { waitMs: 0 });
      return 'promoted';
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
