// `roas deploy status` where the server has no Worker Deployment (the local stack, whose workers
// are unversioned): one sentence that says so and what it means, exit 0, no gRPC trace. The
// server's refusal is reproduced as the client reports it (code 5, "5 NOT_FOUND: …");
// test/integration/deploy-status.test.ts asks a real dev server.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CliContext } from '../../src/cli/commands/context';
import { deployCommand, noDeploymentLine } from '../../src/cli/commands/deploy';
import { isNoDeploymentError } from '../../src/client/deployment';
import { testConfig } from '../helpers/config';

/** A gRPC error as @grpc/grpc-js builds it: the code, and the message prefixed with it. */
function grpcError(code: number, name: string, details: string): Error {
  return Object.assign(new Error(`${code} ${name}: ${details}`), { code, details });
}

function contextRefusing(err: Error): () => Promise<CliContext> {
  const config = testConfig();
  const client = { workflowService: { describeWorkerDeployment: () => Promise.reject(err) } };
  return () =>
    Promise.resolve({
    config,
    log: {} as CliContext['log'],
    temporal: () => Promise.resolve(client as unknown as Awaited<ReturnType<CliContext['temporal']>>),
    pool: () => Promise.reject(new Error('deploy status needs no database')),
    url: () => Promise.reject(new Error('deploy status needs no database')),
    close: () => Promise.resolve(),
  });
}

describe('roas deploy status without a Worker Deployment', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints one sentence saying there is none and what that means, and ends normally (exit 0)', async () => {
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')));
    const refusal = grpcError(5, 'NOT_FOUND', 'no Worker Deployment found with name roas-orchestrator');
    const cmd = deployCommand(contextRefusing(refusal)).exitOverride();
    await cmd.parseAsync(['status'], { from: 'user' });
    expect(printed).toEqual([noDeploymentLine('roas-orchestrator', 'default')]);
    expect(printed[0]).toMatch(/^No Worker Deployment "roas-orchestrator" exists on this Temporal server \(namespace default\): its workers run unversioned.*ROAS_BUILD_ID.*\.$/);
    expect(printed[0]!.split('\n')).toHaveLength(1);
    expect(process.exitCode ?? 0).toBe(0);
  });

  it('a namespace that does not exist, or any other refusal, is not taken for a missing deployment', () => {
    expect(isNoDeploymentError(grpcError(5, 'NOT_FOUND', 'no Worker Deployment found with name x'))).toBe(true);
    expect(isNoDeploymentError(grpcError(5, 'NOT_FOUND', 'Namespace nope was not found.'))).toBe(false);
    expect(isNoDeploymentError(grpcError(14, 'UNAVAILABLE', 'Connection refused'))).toBe(false);
    expect(isNoDeploymentError(grpcError(7, 'PERMISSION_DENIED', 'Request unauthorized.'))).toBe(false);
  });
});
