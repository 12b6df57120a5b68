// Activities that talk to Temporal itself: waiting on a workflow another client started.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';

export interface TemporalDeps {
  temporal: Client;
}

export function createTemporalActivities(deps: TemporalDeps) {
  return {
    /** Waits for a running workflow to finish; throws if it did not succeed. */
    async awaitWorkflow(workflowId: string): Promise<unknown> {
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 10_000);
      try {
        return await deps.temporal.workflow.getHandle(workflowId).result();
      } finally {
        clearInterval(beat);
      }
    },
  };
}
