// The component roles' passwords, set by the owner from the components' URLs (the compose
// stack's migrate step), so a password lives in its secret only.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import pg from 'pg';
import { ConfigError } from '../../core/errors';
import { COMPONENTS, type ComponentUrls, type RoleNames } from './roles';
import { databaseName, redactUrl } from './url';

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
