// How every part of the project reaches Temporal: the worker, `npm start` and the `roas` CLI
// take the same address, TLS / mTLS and API key settings from the configuration.
import { readFileSync } from 'node:fs';
import type { Config } from './config';
import { BootstrapError } from '../core/errors';

export interface TemporalConnectionOptions {
  address: string;
  tls?: { serverRootCACertificate?: Buffer; clientCertPair?: { crt: Buffer; key: Buffer } };
  apiKey?: string;
}

/** The configured server: TEMPORAL_ADDRESS, or the local dev server's port. */
export function temporalAddress(config: Config): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.port}`;
}

/** Options for a client or a worker connection (both take this shape). */
export function temporalConnectionOptions(config: Config): TemporalConnectionOptions {
  const t = config.temporal;
  const read = (p: string, what: string) => {
    try {
      return readFileSync(p);
    } catch (err) {
      throw new BootstrapError(`${what} ${p} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): fix the path or the file's permissions.`);
    }
  };
  return {
    address: temporalAddress(config),
    ...(t.tls.enabled
      ? {
          tls: {
            ...(t.tls.caPath ? { serverRootCACertificate: read(t.tls.caPath, 'TEMPORAL_TLS_CA_PATH') } : {}),
            ...(t.tls.certPath && t.tls.keyPath
              ? { clientCertPair: { crt: read(t.tls.certPath, 'TEMPORAL_TLS_CERT_PATH'), key: read(t.tls.keyPath, 'TEMPORAL_TLS_KEY_PATH') } }
              : {}),
          },
        }
      : {}),
    ...(t.apiKey ? { apiKey: t.apiKey } : {}),
  };
}
