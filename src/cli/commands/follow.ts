// `--wait`: follows a run (or a backfill) until it ends, printing a line whenever its progress
// moves, and a heartbeat when it has not moved for a while, so a long quiet step (a big model,
// a wait at the Flink gate) does not look like a hung terminal. A Temporal server that stops
// answering for a while (restarted, its machine busy) is said in one line and waited for.
import { BootstrapError } from '../../core/errors';

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
  /** While true (the server is not answering, already said), no progress or heartbeat line is printed. */
  quiet?: () => boolean;
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
  // The wait between looks is cut short when the run ends, and its timer cleared: a pending
  // timer would keep the process alive for up to a poll after the run has ended.
  let timer: NodeJS.Timeout | undefined;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => (timer = setTimeout(r, ms))));
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
    if (options.quiet?.()) {
      lastPrinted = t;
      await Promise.race([finished.catch(() => {}), sleep(pollMs)]);
      continue;
    }
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
    clearTimeout(timer);
  }
  return finished;
}

/** Whether an error (or one it wraps) is the server not answering: gRPC UNAVAILABLE or DEADLINE_EXCEEDED, a refused connection. */
export function isServerUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === 14 || e.code === 4) return true;
    if (typeof e.message === 'string' && /\b(14 UNAVAILABLE|4 DEADLINE_EXCEEDED|ECONNREFUSED|Connection refused|Connection dropped)\b/.test(e.message)) return true;
  }
  return false;
}

export interface OutageOptions {
  /** Names the server in what is printed: "Temporal at 127.0.0.1:7233". */
  server: string;
  /** What to run to look again later, in the closing sentence. */
  followAgain: string;
  /**
   * A quick call that tells the server answers again (the result itself is a long poll that
   * answers only when the run ends). Without it, the result answering is what tells.
   */
  probe?: () => Promise<unknown>;
  /** How long the server may not answer before giving up (default 10 min). */
  maxOutageMs?: number;
  retryMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  print?: (line: string) => void;
}

/**
 * A run's result, through outages of the server: while it does not answer, one line says so and
 * the result is asked for again every few seconds; one line says when it answers again. After
 * `maxOutageMs` without an answer it gives up with a sentence (exit 1), never a stack trace.
 * `down()` tells followProgress to stay quiet meanwhile.
 */
export function resultThroughOutages<T>(getResult: () => Promise<T>, options: OutageOptions): { result: Promise<T>; down: () => boolean } {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const print = options.print ?? ((line: string) => console.log(line));
  const maxOutageMs = options.maxOutageMs ?? 10 * 60_000;
  const retryMs = options.retryMs ?? 5_000;
  let downSince: number | undefined;
  let giveUp: (err: Error) => void = () => {};
  const gaveUp = new Promise<never>((_, reject) => (giveUp = reject));
  const back = () => {
    if (downSince === undefined) return;
    print(`  ${options.server} answers again after ${shortDuration(now() - downSince)}`);
    downSince = undefined;
  };
  const tooLong = () => {
    if (downSince === undefined || now() - downSince < maxOutageMs) return false;
    giveUp(
      new BootstrapError(
        `${options.server} has not answered for ${shortDuration(now() - downSince)}: the run goes on in Temporal once it is back (start it with \`npm start\`, or check the server); follow it again with ${options.followAgain}.`,
      ),
    );
    return true;
  };
  // While the server is down: ask it every few seconds whether it answers again.
  const watch = async () => {
    while (downSince !== undefined && !tooLong()) {
      await sleep(retryMs);
      if (downSince === undefined) break;
      try {
        await options.probe!();
        back();
      } catch {
        // still down
      }
    }
  };
  const follow = async (): Promise<T> => {
    for (;;) {
      try {
        const value = await getResult();
        back();
        return value;
      } catch (err) {
        if (!isServerUnavailable(err)) throw err;
        if (downSince === undefined) {
          downSince = now();
          print(`  ${options.server} is not answering (restarted or stopped?): still following, for up to ${shortDuration(maxOutageMs)}`);
          if (options.probe) void watch();
        }
        if (tooLong()) return gaveUp;
        await sleep(retryMs);
      }
    }
  };
  const result = Promise.race([follow(), gaveUp]);
  // Whichever settles first decides; the other must not surface as an unhandled rejection.
  gaveUp.catch(() => {});
  return { result, down: () => downSince !== undefined };
}
