import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs (one object per line) for machines and log shippers; readable,
 * coloured lines when a person watches a terminal.
 */
export function createLogger(level: string, name = 'roas'): Logger {
  const pretty = process.stdout.isTTY === true;
  return pino({
    name,
    level,
    base: { pid: process.pid },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss' } } } : {}),
  });
}

type SdkLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
const SDK_ORDER: SdkLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** Makes metadata one line: an Error becomes its type and message (its stack is in the Web UI). */
function flatten(meta: Record<string | symbol, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta ?? {})) {
    out[key] = value instanceof Error ? `${value.name}: ${value.message.split('\n')[0] ?? ''}` : value;
  }
  return out;
}

/**
 * The Temporal SDK's log lines (an activity that failed, a worker state change …) through the
 * project's logger: one line per event, JSON or pretty like every other line, at `minLevel` and
 * above (the SDK's INFO chatter about bundles and pollers stays out unless asked for).
 */
export function sdkLogger(log: Logger, minLevel: SdkLevel) {
  const write = (level: SdkLevel, message: string, meta?: Record<string | symbol, unknown>) => {
    if (SDK_ORDER.indexOf(level) < SDK_ORDER.indexOf(minLevel)) return;
    const fields = { ...flatten(meta), sdk: true };
    const method = level === 'TRACE' ? 'trace' : level === 'DEBUG' ? 'debug' : level === 'INFO' ? 'info' : level === 'WARN' ? 'warn' : 'error';
    log[method](fields, message);
  };
  return {
    log: write,
    trace: (m: string, meta?: Record<string | symbol, unknown>) => write('TRACE', m, meta),
    debug: (m: string, meta?: Record<string | symbol, unknown>) => write('DEBUG', m, meta),
    info: (m: string, meta?: Record<string | symbol, unknown>) => write('INFO', m, meta),
    warn: (m: string, meta?: Record<string | symbol, unknown>) => write('WARN', m, meta),
    error: (m: string, meta?: Record<string | symbol, unknown>) => write('ERROR', m, meta),
  };
}
