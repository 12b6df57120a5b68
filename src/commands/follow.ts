// `--wait`: follows a run (or a backfill) until it ends, printing a line whenever its progress
// moves, and a heartbeat when it has not moved for a while, so a long quiet step (a big model,
// a wait at the Flink gate) does not look like a hung terminal.

/** One look at the progress: `key` compares two looks without the clock; `line` is what a person reads. */
export interface ProgressView {
  key: string;
  line: string;
}

export interface FollowOptions {
  /** Print a line whenever the progress changes, prefixed with the time since `startedMs` ("[  12s]"). */
  stamp?: boolean;
  /** How often to look (default 1 s). */
  pollMs?: number;
  /** After this long without a printed line, say it is still going (default 60 s). */
  heartbeatMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  print?: (line: string) => void;
}

/** 190 000 ms → "3m10s"; 45 000 → "45s"; 3 790 000 → "1h03m10s". */
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  const ss = String(s % 60).padStart(2, '0');
  return m < 60 ? `${m}m${ss}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m${ss}s`;
}

export async function followProgress<T>(
  look: () => Promise<ProgressView | undefined>,
  result: Promise<T>,
  startedMs: number,
  options: FollowOptions = {},
): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const print = options.print ?? ((line: string) => console.log(line));
  const pollMs = options.pollMs ?? 1_000;
  const heartbeatMs = options.heartbeatMs ?? 60_000;
  let done = false;
  const finished = result.finally(() => {
    done = true;
  });
  let lastKey: string | undefined;
  let lastPrinted = startedMs;
  while (!done) {
    const view = await look().catch(() => undefined);
    const t = now();
    const prefix = options.stamp ? `  [${((t - startedMs) / 1000).toFixed(0).padStart(4)}s] ` : '  ';
    if (view && view.key !== lastKey) {
      print(`${prefix}${view.line}`);
      lastKey = view.key;
      lastPrinted = t;
    } else if (t - lastPrinted >= heartbeatMs) {
      const what = view?.line ?? 'running (its progress does not answer: is a worker running?)';
      print(`${prefix}still ${what}, ${shortDuration(t - startedMs)} so far`);
      lastPrinted = t;
    }
    await Promise.race([finished.catch(() => {}), sleep(pollMs)]);
  }
  return finished;
}
