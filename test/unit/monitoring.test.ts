// The compose stack's monitoring, checked without a Docker engine: Prometheus's configuration and
// alert rules by promtool (check config, check rules, and the rules' unit tests, where each alert
// fires on a synthetic series), every metric the rules and the Grafana dashboard read is one the
// worker really exports, and the files are wired to the services that mount them.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, PROJECT_ROOT } from '../../src/platform/config';
import { createPipelineMetrics, memoryLimitBytes } from '../../src/platform/metrics';

const MONITORING = path.join(PROJECT_ROOT, 'monitoring');
const PROMETHEUS_YML = path.join(MONITORING, 'prometheus', 'prometheus.yml');
const ALERTS_YML = path.join(MONITORING, 'prometheus', 'alerts.yml');
const ALERTS_TEST_YML = path.join(MONITORING, 'prometheus', 'alerts.test.yml');
const DASHBOARD_JSON = path.join(MONITORING, 'grafana', 'dashboards', 'roas-pipeline.json');

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}
interface Service {
  image?: string;
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  configs?: { source: string; target: string }[];
  expose?: string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  configs: Record<string, { file: string }>;
}

const readYaml = <T>(file: string) => parse(readFileSync(file, 'utf8')) as T;
const rules = readYaml<{ groups: { rules: Rule[] }[] }>(ALERTS_YML).groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(readFileSync(DASHBOARD_JSON, 'utf8')) as { uid: string; panels: Panel[] };
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
const compose = parse(readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as Compose;

/** promtool from PATH, or Debian's package fetched once into .local/ by the script. */
async function promtool(...args: string[]) {
  return execa(path.join(PROJECT_ROOT, 'scripts', 'promtool.sh'), args, { reject: false, all: true, cwd: PROJECT_ROOT });
}

/** Every metric name the worker's /metrics can show: from its real registry, series suffixes included. */
async function exportedNames(): Promise<Set<string>> {
  const metrics = createPipelineMetrics();
  const names = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    // prom-client's typings call the type an enum; the JSON carries its name.
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    if (String(m.type) === 'summary') for (const s of ['_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

const PROMQL_WORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset',
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group', 'inf', 'nan',
]);

/** The metric names a PromQL expression reads: identifiers that are not functions, keywords, labels or durations. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '$1') // label lists
    .replace(/\boffset\s+\S+/g, '')
    .replace(/\$\{?\w+\}?/g, ''); // Grafana variables
  const names = [...stripped.matchAll(/[a-zA-Z_:][\w:]*(?=\s*(\()?)/g)]
    .filter((m) => !m[1] && !PROMQL_WORDS.has(m[0].toLowerCase()))
    .map((m) => m[0]);
  return [...new Set(names)];
}

describe('Prometheus configuration and alert rules', () => {
  it('promtool accepts the configuration (and the rule file it loads) and the rules', async () => {
    const config = await promtool('check', 'config', PROMETHEUS_YML);
    expect(config.exitCode, config.all).toBe(0);
    expect(config.all).toContain('1 rule files found');
    const checked = await promtool('check', 'rules', ALERTS_YML);
    expect(checked.exitCode, checked.all).toBe(0);
    expect(checked.all).toContain(`${rules.length} rules found`);
  }, 300_000);

  it("every alert fires on a synthetic series in promtool's rule tests, and stays quiet on a healthy one", async () => {
    const tested = await promtool('test', 'rules', ALERTS_TEST_YML);
    expect(tested.exitCode, tested.all).toBe(0);
    expect(tested.all).toContain('SUCCESS');
    const tests = readYaml<{ tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] }>(ALERTS_TEST_YML).tests;
    const fired = new Set(tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts?.length).map((a) => a.alertname)));
    const quiet = new Set(tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => !a.exp_alerts?.length).map((a) => a.alertname)));
    for (const r of rules) {
      expect(fired.has(r.alert), `${r.alert} is shown to fire`).toBe(true);
      expect(quiet.has(r.alert), `${r.alert} is shown not to fire`).toBe(true);
    }
  }, 300_000);

  it('the rules read only metrics the worker exports (and Prometheus’s own up)', async () => {
    const exported = await exportedNames();
    for (const r of rules) {
      const unknown = metricNames(r.expr).filter((n) => !exported.has(n) && n !== 'up');
      expect(unknown, `${r.alert}: ${r.expr}`).toEqual([]);
      expect(r.labels?.severity, r.alert).toMatch(/^(warning|critical)$/);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
    }
  });

  it('docs/deployment.md explains every alert', () => {
    const readme = readFileSync(path.join(PROJECT_ROOT, 'docs', 'deployment.md'), 'utf8');
    for (const r of rules) expect(readme, r.alert).toContain(`\`${r.alert}\``);
  });

  it('scrapes the worker by its compose service name on the ports its configuration serves', () => {
    const prometheus = readYaml<{ rule_files: string[]; scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] }>(PROMETHEUS_YML);
    const targets = Object.fromEntries(prometheus.scrape_configs.map((j) => [j.job_name, j.static_configs.flatMap((c) => c.targets)]));
    // ${VAR:-default} → default, as Compose does when VAR is unset; a required ${VAR:?…} → a value.
    const env = Object.fromEntries(
      Object.entries(compose.services.worker!.environment ?? {}).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1').replace(/\$\{[A-Z_]+:\?[^}]*\}/g, 'set-for-this-test-0123456789')]),
    );
    const config = loadConfig(env);
    expect(targets['roas-worker']).toEqual([`worker:${config.httpPort}`]);
    expect(targets['roas-worker-temporal-sdk']).toEqual([`worker:${config.temporal.metricsAddress.split(':').pop()}`]);
    expect(compose.services.worker!.expose).toEqual([String(config.httpPort), config.temporal.metricsAddress.split(':').pop()]);
    expect(prometheus.rule_files).toEqual(['alerts.yml']);
  });
});

describe('PromQL metric names', () => {
  it('finds the metrics of an expression, not its functions, labels or keywords', () => {
    expect(
      metricNames('histogram_quantile(0.95, sum by (le, pipeline) (increase(roas_x_bucket{status="failed", a=~"b|c"}[1d]))) / on(instance) group_left roas_y or vector(0)'),
    ).toEqual(['roas_x_bucket', 'roas_y']);
    expect(metricNames('time() - min by (run_date) (roas_z) > 1800')).toEqual(['roas_z']);
  });
});

describe('worker metrics the alerts need', () => {
  it("exports whether the worker polls, its memory limit and the Flink gates waiting, read when scraped", async () => {
    const metrics = createPipelineMetrics();
    let state = 'RUNNING';
    metrics.watch({
      workerState: () => state,
      taskQueue: 'marketing-roas',
      flinkGatesWaiting: () => Promise.resolve([{ pipeline: 'dbt_daily_run', runDate: '2026-11-26', since: new Date('2026-11-27T00:00:05Z') }]),
    });
    let text = await metrics.registry.metrics();
    expect(text).toContain('roas_worker_polling{task_queue="marketing-roas"} 1');
    expect(text).toContain('roas_flink_gate_waiting_since_timestamp_seconds{pipeline="dbt_daily_run",run_date="2026-11-26"} 1795737605');
    expect(text).toMatch(/roas_worker_memory_limit_bytes \d+/);
    // The first failure after a start is an increase from 0, not a series born at 1.
    expect(text).toContain('roas_pipeline_run_duration_seconds_count{pipeline="daily_etl",status="failed"} 0');
    expect(text).toContain('roas_alerts_total{kind="sla_miss",delivered="true"} 0');
    state = 'DRAINING';
    text = await metrics.registry.metrics();
    expect(text).toContain('roas_worker_polling{task_queue="marketing-roas"} 0');
  });

  it("a ledger that does not answer keeps the last gates rather than reporting none", async () => {
    const metrics = createPipelineMetrics();
    let answer: () => Promise<{ pipeline: string; runDate: string; since: Date }[]> = () =>
      Promise.resolve([{ pipeline: 'dbt_daily_run', runDate: '2026-11-26', since: new Date(0) }]);
    metrics.watch({ workerState: () => 'RUNNING', taskQueue: 'q', flinkGatesWaiting: () => answer() });
    expect(await metrics.registry.metrics()).toContain('run_date="2026-11-26"} 0');
    answer = () => Promise.reject(new Error('connection refused'));
    expect(await metrics.registry.metrics()).toContain('run_date="2026-11-26"} 0');
    answer = () => Promise.resolve([]);
    expect(await metrics.registry.metrics()).not.toContain('run_date="2026-11-26"');
  });

  it('the memory limit is the cgroup’s (v2, then v1), or the machine’s when there is none', () => {
    const files = (m: Record<string, string>) => (f: string) => m[f];
    const gib = 2 ** 30;
    expect(memoryLimitBytes(files({ '/sys/fs/cgroup/memory.max': '536870912\n' }), 8 * gib)).toBe(512 * 2 ** 20);
    expect(memoryLimitBytes(files({ '/sys/fs/cgroup/memory.max': 'max\n' }), 8 * gib)).toBe(8 * gib);
    expect(memoryLimitBytes(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '536870912' }), 8 * gib)).toBe(512 * 2 ** 20);
    expect(memoryLimitBytes(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712' }), 8 * gib)).toBe(8 * gib);
    expect(memoryLimitBytes(files({}), 8 * gib)).toBe(8 * gib);
  });
});

describe('Grafana dashboard', () => {
  it('every panel reads only metrics the worker exports, through the provisioned data source', async () => {
    const exported = await exportedNames();
    const datasource = readYaml<{ datasources: { uid: string; url: string }[] }>(path.join(MONITORING, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'))
      .datasources[0]!;
    expect(panels.length).toBeGreaterThan(8);
    for (const p of panels) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      expect(p.datasource?.uid, p.title).toBe(datasource.uid);
      for (const t of p.targets ?? []) {
        const names = metricNames(t.expr);
        expect(names.length, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
        expect(
          names.filter((n) => !exported.has(n)),
          `${p.title}: ${t.expr}`,
        ).toEqual([]);
      }
    }
    // The panels cover what an operator looks for.
    const all = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    for (const m of [
      'roas_pipeline_run_duration_seconds',
      'roas_alerts_total',
      'roas_dbt_step_duration_seconds',
      'roas_flink_gate_waiting_since_timestamp_seconds',
      'roas_worker_process_resident_memory_bytes',
      'roas_worker_memory_limit_bytes',
      'roas_worker_polling',
    ]) {
      expect(all, m).toContain(m);
    }
    expect(new URL(datasource.url).hostname).toBe('prometheus');
  });
});

describe('docker-compose.yml monitoring services', () => {
  const s = compose.services;

  it('mounts the monitoring files read-only where the configurations expect them', () => {
    for (const [name, c] of Object.entries(compose.configs)) {
      expect(existsSync(path.join(PROJECT_ROOT, c.file)), `${name}: ${c.file}`).toBe(true);
    }
    const mounted = (svc: string) => Object.fromEntries((s[svc]!.configs ?? []).map((c) => [c.target, compose.configs[c.source]!.file]));
    expect(mounted('prometheus')).toEqual({
      '/etc/prometheus/prometheus.yml': './monitoring/prometheus/prometheus.yml',
      '/etc/prometheus/alerts.yml': './monitoring/prometheus/alerts.yml',
    });
    const provider = readYaml<{ providers: { options: { path: string } }[] }>(path.join(MONITORING, 'grafana', 'provisioning', 'dashboards', 'roas.yml'));
    expect(mounted('grafana')).toEqual({
      '/etc/grafana/provisioning/datasources/prometheus.yml': './monitoring/grafana/provisioning/datasources/prometheus.yml',
      '/etc/grafana/provisioning/dashboards/roas.yml': './monitoring/grafana/provisioning/dashboards/roas.yml',
      [`${provider.providers[0]!.options.path}/roas-pipeline.json`]: './monitoring/grafana/dashboards/roas-pipeline.json',
    });
  });

  it('pins the images, keeps data in named volumes and publishes on the loopback interface only', () => {
    for (const name of ['prometheus', 'grafana']) {
      expect(s[name]!.image, name).toMatch(/^[\w./-]+:v?\d+\.\d+\.\d+$/);
      for (const v of s[name]!.volumes ?? []) expect(Object.keys(compose.volumes), name).toContain(v.split(':')[0]);
      expect(s[name]!.ports?.length, name).toBeGreaterThan(0);
      for (const p of s[name]!.ports ?? []) expect(p, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
  });

  it('requires the Grafana admin password from the environment, with no default, and no anonymous access', () => {
    const env = s.grafana!.environment!;
    expect(env.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}$/);
    expect(env.GF_AUTH_ANONYMOUS_ENABLED).toBe('false');
    expect(env.GF_USERS_ALLOW_SIGN_UP).toBe('false');
  });
});
