// PostgreSQL for the local stack: the server named by DATABASE_URL, or a project-local
// cluster under .local/pg started from the machine's PostgreSQL server binaries.
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { Config } from '../../platform/config';
import { migrate } from '../../platform/db/migrate';
import { setRolePasswords } from '../../platform/db/role-passwords';
import { ensureDatabase } from '../../platform/database';
import { withDatabase } from '../../platform/db/url';
import pg from 'pg';
import { BootstrapError } from '../../core/errors';
import type { Logger } from '../../platform/logger';
import { findFreePort, isPortFree } from './ports';

export const LOCAL_DB_USER = 'roas';
export const DEFAULT_DATABASE = 'marketing_roas';

export interface PostgresHandle {
  /** URL of the marketing_roas database. */
  url: string;
  startedByUs: boolean;
  /** The postmaster's process and data directory, when we started it. */
  pid?: number;
  dataDir?: string;
  stop(): Promise<void>;
}

/**
 * Starts (or reuses) PostgreSQL, makes sure the database exists and is migrated. `takeOver`: the
 * local cluster a previous `npm start` started and left running (killed with -9), which this one
 * then stops on its way out as if it had started it.
 */
export async function startPostgres(config: Config, log: Logger, opts: { takeOver?: boolean } = {}): Promise<PostgresHandle> {
  if (config.postgres.url) {
    const url = config.postgres.url;
    await ensureDatabase(url, log);
    await migrate(url, undefined, { rolePrefix: config.postgres.rolePrefix });
    // The component roles' passwords are the ones in their URLs.
    if (config.postgres.components) await setRolePasswords(url, config.postgres.components, config.postgres.roles);
    return { url, startedByUs: false, stop: async () => {} };
  }
  const cluster = new LocalCluster(config, log);
  const handle = await cluster.start(opts);
  await ensureDatabase(handle.url, log);
  await migrate(handle.url, undefined, { rolePrefix: config.postgres.rolePrefix });
  return handle;
}

function runsAsRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** initdb and postgres refuse to run as root; as root we run them as `nobody`. */
const UNPRIVILEGED = { user: 'nobody', uid: 65534, gid: 65534 };

/** The local cluster's URL while it runs, for the platform's URL resolution (the CLI passes it in). */
export function localClusterUrl(config: Config, log: Logger): () => Promise<string | undefined> {
  return () => new LocalCluster(config, log).runningUrl();
}

export class LocalCluster {
  readonly root: string;
  readonly dataDir: string;
  private binDir = '';

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    this.root = this.chooseRoot();
    this.dataDir = path.join(this.root, 'data');
  }

  private chooseRoot(): string {
    const preferred = path.join(this.config.localDir, 'pg');
    if (!runsAsRoot() || traversableByUnprivileged(this.config.localDir)) return preferred;
    // The project sits where `nobody` cannot reach (e.g. under /root): keep the cluster in tmp.
    const hash = createHash('sha256').update(this.config.localDir).digest('hex').slice(0, 10);
    return path.join(os.tmpdir(), `marketing-roas-pg-${hash}`);
  }

  private async pgTool(tool: string, args: string[], opts: { reject?: boolean } = {}) {
    const bin = path.join(this.binDir, tool);
    const [cmd, argv] = runsAsRoot() ? ['runuser', ['-u', UNPRIVILEGED.user, '--', bin, ...args]] : [bin, args];
    return execa(cmd, argv, { reject: opts.reject ?? true, all: true, cwd: this.root });
  }

  async start(opts: { takeOver?: boolean } = {}): Promise<PostgresHandle> {
    this.binDir = findPgBinDir(this.config);
    mkdirSync(path.join(this.root, 'run'), { recursive: true });
    if (runsAsRoot()) chownTree(this.root, [this.dataDir]);

    if (!existsSync(path.join(this.dataDir, 'PG_VERSION'))) await this.initdb();

    const running = await this.runningPort();
    if (running !== undefined && (await answersQuery(this.url(running)))) {
      if (opts.takeOver) {
        this.log.info({ port: running }, 'taking over the local PostgreSQL a previous npm start left running');
        return { url: this.url(running), startedByUs: true, pid: this.postmasterPid(), dataDir: this.dataDir, stop: () => this.stopServer() };
      }
      this.log.info({ port: running }, 'reusing the local PostgreSQL that is already running');
      return { url: this.url(running), startedByUs: false, stop: async () => {} };
    }
    if (running !== undefined) {
      // Its postmaster is alive but it has not answered a query for 30 s: restart it.
      this.log.warn({ port: running }, 'the local PostgreSQL is running but does not answer: restarting it');
      await this.stopServer();
    }

    const port = await this.choosePort();
    this.writeSettings(port);
    const logFile = path.join(this.root, 'postgres.log');
    const started = await this.pgTool('pg_ctl', ['-D', this.dataDir, '-l', logFile, '-w', '-t', '60', 'start'], { reject: false });
    if (started.exitCode !== 0) {
      throw new BootstrapError(
        `The local PostgreSQL did not start (pg_ctl exit ${started.exitCode}). Last lines of ${logFile}:\n` +
          tail(logFile, 15) +
          '\nFix the cause above, or set DATABASE_URL to use another PostgreSQL server.',
      );
    }
    this.log.info({ port, dataDir: this.dataDir }, 'started the local PostgreSQL');
    return {
      url: this.url(port),
      startedByUs: true,
      pid: this.postmasterPid(),
      dataDir: this.dataDir,
      stop: () => this.stopServer(),
    };
  }

  /** pg_ctl's fast shutdown; its immediate one if that does not end it within a minute. */
  private async stopServer(): Promise<void> {
    const fast = await this.pgTool('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '60', 'stop'], { reject: false });
    if (fast.exitCode !== 0 && (await this.pgTool('pg_ctl', ['-D', this.dataDir, 'status'], { reject: false })).exitCode === 0) {
      await this.pgTool('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop'], { reject: false });
    }
  }

  /** The URL of the cluster when it is running, without starting it. */
  async runningUrl(): Promise<string | undefined> {
    this.binDir = findPgBinDir(this.config);
    if (!existsSync(path.join(this.dataDir, 'PG_VERSION'))) return undefined;
    const port = await this.runningPort();
    return port === undefined ? undefined : this.url(port);
  }

  private url(port: number): string {
    return `postgres://${LOCAL_DB_USER}@127.0.0.1:${port}/${DEFAULT_DATABASE}`;
  }

  private async initdb(): Promise<void> {
    this.log.info({ dataDir: this.dataDir }, 'creating the local PostgreSQL cluster');
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    if (runsAsRoot()) chownSync(this.dataDir, UNPRIVILEGED.uid, UNPRIVILEGED.gid);
    const result = await this.pgTool(
      'initdb',
      ['-D', this.dataDir, '-U', LOCAL_DB_USER, '--auth=trust', '-E', 'UTF8', '--no-locale'],
      { reject: false },
    );
    if (result.exitCode !== 0) {
      throw new BootstrapError(`initdb failed for ${this.dataDir}:\n${result.all ?? ''}`);
    }
    const conf = path.join(this.dataDir, 'postgresql.conf');
    writeFileSync(conf, readFileSync(conf, 'utf8') + "\ninclude_if_exists = 'roas.conf'\n");
  }

  /** The postmaster's process id, from postmaster.pid (its first line). */
  private postmasterPid(): number | undefined {
    const pidFile = path.join(this.dataDir, 'postmaster.pid');
    if (!existsSync(pidFile)) return undefined;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  /** The port of our cluster when it is already running, from postmaster.pid. */
  private async runningPort(): Promise<number | undefined> {
    const pidFile = path.join(this.dataDir, 'postmaster.pid');
    if (!existsSync(pidFile)) return undefined;
    const status = await this.pgTool('pg_ctl', ['-D', this.dataDir, 'status'], { reject: false });
    if (status.exitCode !== 0) return undefined;
    const port = Number(readFileSync(pidFile, 'utf8').split('\n')[3]);
    return Number.isInteger(port) && port > 0 ? port : undefined;
  }

  private async choosePort(): Promise<number> {
    const wanted = this.config.postgres.localPort;
    if (wanted !== undefined) {
      if (!(await isPortFree(wanted))) {
        throw new BootstrapError(
          `ROAS_PG_PORT=${wanted}: port ${wanted} on 127.0.0.1 is already in use by another program.\n` +
            'Stop that program, choose another port, or unset ROAS_PG_PORT to let the bootstrap pick a free one.',
        );
      }
      return wanted;
    }
    const portFile = path.join(this.root, 'port');
    const previous = existsSync(portFile) ? Number(readFileSync(portFile, 'utf8')) : undefined;
    const port = previous && (await isPortFree(previous)) ? previous : await findFreePort(54320);
    writeFileSync(portFile, String(port));
    return port;
  }

  private writeSettings(port: number): void {
    const file = path.join(this.dataDir, 'roas.conf');
    writeFileSync(
      file,
      [
        '# Written by the bootstrap at every start; edit src/stack/postgres.ts instead.',
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${path.join(this.root, 'run')}'`,
        'max_connections = 200',
        'shared_buffers = 256MB',
        'work_mem = 32MB',
        'maintenance_work_mem = 128MB',
        // A development cluster: no replicas, so the least WAL (a table created or truncated in
        // its transaction, as a loaded day or an audited model is, is not written to WAL at all),
        // and WAL kept small between checkpoints.
        'wal_level = minimal',
        'max_wal_senders = 0',
        'max_wal_size = 256MB',
        'min_wal_size = 64MB',
        // What each dbt model's statements cost (the per-model record reads it); takes effect
        // when the cluster starts, so a cluster already running keeps what it had.
        "shared_preload_libraries = 'pg_stat_statements'",
        '',
      ].join('\n'),
    );
    if (runsAsRoot()) chownSync(file, UNPRIVILEGED.uid, UNPRIVILEGED.gid);
  }
}

/**
 * Whether PostgreSQL at the URL answers a query within `timeoutMs` (a server still starting up
 * or recovering is waited for): a live postmaster that never answers is of no use.
 */
export async function answersQuery(url: string, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: withDatabase(url, 'postgres'), connectionTimeoutMillis: 5000, query_timeout: 5000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      if (Date.now() > deadline) return false;
    } finally {
      await client.end().catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export function findPgBinDir(config: Config): string {
  const candidates: string[] = [];
  if (config.postgres.binDir) candidates.push(config.postgres.binDir);
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => path.join(debianRoot, v, 'bin')));
  }
  candidates.push('/usr/local/pgsql/bin', '/usr/pgsql-15/bin', '/opt/homebrew/opt/postgresql@15/bin', '/usr/local/opt/postgresql@15/bin');
  for (const dir of config.systemPath.split(path.delimiter)) if (dir) candidates.push(dir);
  for (const dir of candidates) {
    if (['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(path.join(dir, b)))) return dir;
  }
  throw new BootstrapError(
    'PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found.\n' +
      'Install them (Debian/Ubuntu: sudo apt-get install postgresql-15; macOS: brew install postgresql@15), ' +
      'set ROAS_PG_BIN_DIR to their directory, or set DATABASE_URL to use an existing PostgreSQL server.',
  );
}

function traversableByUnprivileged(dir: string): boolean {
  // Every ancestor must let `nobody` in (o+x), otherwise postgres cannot reach its data.
  let current = path.resolve(dir);
  for (;;) {
    if (existsSync(current)) {
      const mode = statSync(current).mode;
      if ((mode & 0o001) === 0) return false;
    }
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

function chownTree(root: string, skip: string[]): void {
  // Only the directories we create; the data dir is owned by initdb's user already.
  for (const dir of [root, path.join(root, 'run')]) {
    if (!skip.includes(dir) && existsSync(dir)) chownSync(dir, UNPRIVILEGED.uid, UNPRIVILEGED.gid);
  }
  for (const f of ['postgres.log', 'port']) {
    const p = path.join(root, f);
    if (existsSync(p)) chownSync(p, UNPRIVILEGED.uid, UNPRIVILEGED.gid);
  }
}

function tail(file: string, lines: number): string {
  if (!existsSync(file)) return '(no log file)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
