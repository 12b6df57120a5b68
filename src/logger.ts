import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout; one logger per process, children carry context. */
export function createLogger(level: string, name = 'roas'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}
