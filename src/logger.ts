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
