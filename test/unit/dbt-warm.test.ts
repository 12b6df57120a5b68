// Loud, not silent: whether dbt is kept warm, with which versions and why anything fell back,
// reaches /metrics and the dashboard's file; a dbt other than the pinned set is named as such.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pinnedRequirements, versionMismatch } from '../../activities/dbt/runner';
import { describeDbtWarm, readDbtWarm, writeDbtWarm, type DbtWarmInfo } from '../../src/platform/dbt-warm';
import { createPipelineMetrics } from '../../src/platform/metrics';

const PINNED = { 'dbt-core': '1.11.16', 'dbt-adapters': '1.24.5', 'dbt-postgres': '1.11.0', 'dbt-common': '1.39.0', Jinja2: '3.1.6' };

describe('the warm dbt, reported', () => {
  it('reads the pins of a requirements file and names every distribution that differs', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-pins-'));
    writeFileSync(path.join(dir, 'requirements.txt'), '# comment\ndbt-core==1.11.16\ndbt-adapters==1.24.5\ndbt-postgres==1.11.0\ndbt-common==1.39.0\nJinja2==3.1.6  # templating\n');
    const pins = pinnedRequirements(path.join(dir, 'requirements.txt'));
    expect(pins).toMatchObject({ 'dbt-core': '1.11.16', jinja2: '3.1.6' });
    expect(versionMismatch(PINNED, pins)).toBeUndefined();
    const off = versionMismatch({ ...PINNED, 'dbt-core': '1.12.0', 'dbt-common': null }, pins);
    expect(off).toContain('dbt-core 1.12.0 (pinned: 1.11.16)');
    expect(off).toContain('dbt-common not installed (pinned: 1.39.0)');
    expect(off).toMatch(/runs plain/);
    // No pins at all (no requirements.txt): nothing is known to work, so nothing is warm.
    expect(versionMismatch(PINNED, {})).toContain('dbt-core 1.11.16 (pinned: none)');
  });

  it('exports roas_dbt_warm with the versions and the reason it fell back, read when scraped', async () => {
    const metrics = createPipelineMetrics();
    let info: DbtWarmInfo = { warm: true, keptParse: true, versions: PINNED, reasons: [] };
    metrics.watch({ workerState: () => 'RUNNING', taskQueue: 'q', dbtWarm: () => Promise.resolve(info) });
    expect(await metrics.registry.metrics()).toContain(
      'roas_dbt_warm{dbt_core="1.11.16",dbt_adapters="1.24.5",dbt_postgres="1.11.0",dbt_common="1.39.0",jinja2="3.1.6",fallback=""} 1',
    );
    info = { warm: false, keptParse: false, versions: { ...PINNED, 'dbt-core': '1.12.0' }, reasons: ['not the pinned versions'] };
    const text = await metrics.registry.metrics();
    expect(text).toContain('dbt_core="1.12.0"');
    expect(text).toContain('fallback="not the pinned versions"} 0');
    expect(text).not.toContain('dbt_core="1.11.16"');
  });

  it('keeps one line for the dashboard beside the artifacts', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-warm-file-'));
    expect(readDbtWarm(dir)).toBeUndefined();
    writeDbtWarm(dir, { warm: false, keptParse: false, versions: PINNED, reasons: ['the warm dbt needs Linux'] });
    const line = describeDbtWarm(readDbtWarm(dir)!);
    expect(line).toBe('dbt runs plain (a process per step); dbt-core 1.11.16, dbt-adapters 1.24.5, dbt-postgres 1.11.0, dbt-common 1.39.0, Jinja2 3.1.6; the warm dbt needs Linux');
  });
});
