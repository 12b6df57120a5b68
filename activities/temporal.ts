// Activities that talk to Temporal itself: waiting on a workflow another client started.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';

export interface TemporalDeps {
  temporal: Client;
}

export function createTemporalActivities(deps: TemporalDeps) {
  return {
    /**
     * Waits for a running workflow to finish; throws if it did not succeed. Returns how it ended,
     * not its whole result: that is in its own history, and the waiting run's history keeps this.
     */
    async awaitWorkflow(workflowId: string): Promise<{ status: string }> {
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 10_000);
      try {
        const result = (await deps.temporal.workflow.getHandle(workflowId).result()) as { status?: unknown } | null;
        return { status: typeof result?.status === 'string' ? result.status : 'succeeded' };
      } finally {
        clearInterval(beat);
      }
    },
  };
}
