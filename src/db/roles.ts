// The database roles of the components (made by migrations/0007_roles.sql) and the connection
// each component uses: its own URL when configured, else, on a server of this machine (the
// local cluster, which trusts local connections), the owner's URL with the role's name as user.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import pg from 'pg';
import { ConfigError } from '../core/errors';
import { databaseName, redactUrl } from './url';

export const COMPONENTS = ['ingest', 'transform', 'orchestrator', 'reporting'] as const;
export type Component = (typeof COMPONENTS)[number];

/** Each component's connection string. */
export type ComponentUrls = Record<Component, string>;

export interface RoleNames extends Record<Component, string> {
  /** NOLOGIN: owns what dbt builds (analytics, analytics_audit); the transform role is a member. */
  analyticsOwner: string;
}

export function roleNames(prefix: string): RoleNames {
  return {
    ingest: `${prefix}_ingest`,
    transform: `${prefix}_transform`,
    orchestrator: `${prefix}_orchestrator`,
    reporting: `${prefix}_reporting`,
    analyticsOwner: `${prefix}_analytics_owner`,
  };
}

/** A server reached on this machine: where the per-component URLs may be derived. */
export function isLocalServer(url: string): boolean {
  const host = new URL(url).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1' || host.startsWith('%2F');
}

/** The same server and database as the owner's URL, as `role`, with no password (trust authentication). */
export function urlForRole(ownerUrl: string, role: string): string {
  const u = new URL(ownerUrl);
  u.username = encodeURIComponent(role);
  u.password = '';
  return u.toString();
}

export function deriveComponentUrls(ownerUrl: string, roles: RoleNames): ComponentUrls {
  return Object.fromEntries(COMPONENTS.map((c) => [c, urlForRole(ownerUrl, roles[c])])) as ComponentUrls;
}

/** The configured URLs, or (none configured) the ones derived from the owner's. */
export function componentUrls(ownerUrl: string | undefined, configured: ComponentUrls | undefined, roles: RoleNames): ComponentUrls {
  if (configured) return configured;
  if (!ownerUrl) throw new ConfigError('DATABASE_URL: unset, and no ROAS_*_DATABASE_URL either: nothing to connect the components with');
  return deriveComponentUrls(ownerUrl, roles);
}

/**
 * A SCRAM-SHA-256 verifier of `password`, as PostgreSQL stores it: ALTER ROLE … PASSWORD with it
 * sets the password without the password itself ever reaching the server (or its logs).
 */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/**
 * Sets each component role's password to the one in its URL, as the owner: the compose stack's
 * migrate step, so the passwords live in the secrets only. URLs without a password, or naming
 * another user than the component's role (a login of the operator's that is a member of it),
 * are left alone. Returns the roles whose password was set.
 */
export async function setRolePasswords(ownerUrl: string, urls: ComponentUrls, roles: RoleNames): Promise<string[]> {
  const client = new pg.Client({ connectionString: ownerUrl, application_name: 'roas-migrate' });
  await client.connect();
  const set: string[] = [];
  try {
    for (const component of COMPONENTS) {
      const u = new URL(urls[component]);
      const user = decodeURIComponent(u.username);
      const password = decodeURIComponent(u.password);
      if (!password || user !== roles[component]) continue;
      if (databaseName(urls[component]) !== databaseName(ownerUrl)) {
        throw new ConfigError(`${redactUrl(urls[component])} names another database than the owner's (${databaseName(ownerUrl)})`);
      }
      await client.query(`ALTER ROLE ${pg.escapeIdentifier(user)} PASSWORD ${pg.escapeLiteral(scramVerifier(password))}`);
      set.push(user);
    }
  } finally {
    await client.end();
  }
  return set;
}
