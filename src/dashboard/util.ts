// Small helpers the dashboard's sections share: scrubbing secrets, links to the Web UI, a READ
// ONLY transaction, a deadline on a promise.
import type pg from 'pg';
import type { Pipeline } from './files';
import type { StepSummary } from './types';

/** Removes what must never be shown: passwords in URLs, Slack and bearer tokens, and the given secrets. */
export function scrub(text: string, secrets: string[] = []): string {
  let out = text
    .replace(/(postgres(?:ql)?:\/\/[^:/@\s]*):[^@\s]*@/gi, '$1:***@')
    .replace(/xox[a-z]-[A-Za-z0-9-]+/g, 'xox?-***')
    .replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1***');
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out;
}

export function runLink(uiUrl: string, namespace: string, workflowId: string, runId: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}

export const stepOf = (p: Pipeline, summary: Record<string, unknown>): [string, StepSummary][] =>
  (['build', 'run', 'test'] as const).flatMap((s) => {
    const v = summary[s];
    return v && typeof v === 'object' ? [[s, v] as [string, StepSummary]] : [];
  });

export const median = (xs: number[]) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Runs `work` in one READ ONLY transaction, with a statement timeout; always rolled back. */
export async function readOnly<T>(pool: pg.Pool, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN TRANSACTION READ ONLY');
    await client.query("SET LOCAL statement_timeout = '5s'");
    await client.query("SET LOCAL idle_in_transaction_session_timeout = '10s'");
    return await work(client);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
