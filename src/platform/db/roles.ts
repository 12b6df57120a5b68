// The database roles of the components (made by migrations/0007_roles.sql) and the connection
// each component uses: its own URL when configured, else, on a server of this machine (the
// local cluster, which trusts local connections), the owner's URL with the role's name as user.
import { ConfigError } from '../../core/errors';

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
