// The OpenLineage emitter's queue and settings, and the pure parts of the events.
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/platform/config';
import { createLineageEmitter, lineageEndpoint, loadLineageSettings } from '../../src/platform/openlineage';
import { datasetHome, uuidV5 } from '../../activities/lineage/facets';
import { pipelineFinished, pipelineStarted } from '../../activities/lineage/events';
import { lineageProblems } from '../helpers/openlineage';

/** A send that waits until it is aborted, as a collector that never answers. */
const hangingSend = (_event: unknown, signal: AbortSignal) =>
  new Promise<void>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));

describe('the lineage queue', () => {
  it('is bounded: past its size each event is dropped and counted, and emit never waits', () => {
    const warn = vi.fn();
    const dropped: string[] = [];
    const emitter = createLineageEmitter({ type: 'http', url: 'http://127.0.0.1:1', endpoint: 'api/v1/lineage' }, {
      queueSize: 5,
      requestTimeoutMs: 60_000,
      closeTimeoutMs: 50,
      send: hangingSend,
      reporter: { warn, dropped: (reason) => dropped.push(reason) },
    });
    for (let i = 0; i < 20; i++) expect(emitter.emit({ i })).toBeUndefined();
    // One event is being sent (and hangs), five wait, the other fourteen are dropped.
    expect(emitter.stats()).toEqual({ queued: 5, sent: 0, dropped: 14 });
    expect(dropped).toEqual(Array(14).fill('queue_full'));
    expect(warn).toHaveBeenCalledTimes(1);
    return emitter.close();
  });

  it('close() gives up on a hanging collector after its limit and counts what was left', async () => {
    const dropped: string[] = [];
    const emitter = createLineageEmitter({ type: 'file', path: '/nonexistent/x.jsonl' }, { send: hangingSend, requestTimeoutMs: 60_000, closeTimeoutMs: 50, reporter: { dropped: (r) => dropped.push(r) } });
    for (let i = 0; i < 3; i++) emitter.emit({ i });
    await emitter.close();
    expect(emitter.stats()).toMatchObject({ queued: 0, sent: 0, dropped: 3 });
    expect(dropped).toEqual(['closed', 'closed', 'closed']);
    emitter.emit({ late: true });
    expect(emitter.stats().dropped).toBe(4);
  });

  it('a request that takes longer than its timeout is dropped, the next one goes on, and recovery is told once', async () => {
    const warn = vi.fn();
    const info = vi.fn();
    let calls = 0;
    const send = (_e: unknown, signal: AbortSignal) => (++calls <= 2 ? hangingSend(_e, signal) : Promise.resolve());
    const emitter = createLineageEmitter({ type: 'file', path: 'lineage-unused.jsonl' }, { send, requestTimeoutMs: 20, reporter: { warn, info } });
    for (let i = 0; i < 4; i++) emitter.emit({ i });
    await emitter.close();
    expect(emitter.stats()).toEqual({ queued: 0, sent: 2, dropped: 2 });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(info).toHaveBeenCalledTimes(1);
  });

  it('is a no-op when lineage is off', () => {
    const emitter = createLineageEmitter({ type: 'off' });
    emitter.emit({});
    expect(emitter.enabled).toBe(false);
    expect(emitter.stats()).toEqual({ queued: 0, sent: 0, dropped: 0 });
  });

  it('POSTs JSON with the API key as a bearer token; a closed port is a failed send, counted', async () => {
    const got: { auth?: string; type?: string; body: string }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        got.push({ auth: req.headers.authorization, type: req.headers['content-type'], body });
        res.writeHead(req.url === '/base/api/v1/lineage' ? 201 : 404).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/base`;
    const emitter = createLineageEmitter({ type: 'http', url, endpoint: 'api/v1/lineage', apiKey: 'secret-key-123' });
    emitter.emit({ hello: 1 });
    await emitter.close();
    expect(got).toEqual([{ auth: 'Bearer secret-key-123', type: 'application/json', body: '{"hello":1}' }]);
    expect(emitter.stats()).toMatchObject({ sent: 1, dropped: 0 });
    await new Promise<void>((r) => server.close(() => r()));
    const down = createLineageEmitter({ type: 'http', url, endpoint: 'api/v1/lineage' });
    down.emit({ hello: 2 });
    await down.close();
    expect(down.stats()).toMatchObject({ sent: 0, dropped: 1 });
  });
});

describe('the lineage settings', () => {
  it('are off by default and when disabled', () => {
    expect(loadLineageSettings({})).toEqual({ transport: { type: 'off' }, namespace: 'roas' });
    expect(loadLineageSettings({ OPENLINEAGE_URL: 'http://marquez:5000', OPENLINEAGE_DISABLED: 'true' }).transport).toEqual({ type: 'off' });
  });

  it('read the URL, endpoint, key and namespace as the OpenLineage clients do', () => {
    const s = loadLineageSettings({ OPENLINEAGE_URL: 'http://marquez:5000', OPENLINEAGE_API_KEY: 'k', OPENLINEAGE_NAMESPACE: 'roas-prod' });
    expect(s).toEqual({ transport: { type: 'http', url: 'http://marquez:5000', endpoint: 'api/v1/lineage', apiKey: 'k' }, namespace: 'roas-prod' });
    expect(lineageEndpoint({ url: 'http://marquez:5000', endpoint: 'api/v1/lineage' })).toBe('http://marquez:5000/api/v1/lineage');
    expect(loadLineageSettings({ OPENLINEAGE__TRANSPORT__TYPE: 'file', OPENLINEAGE__TRANSPORT__LOG_FILE_PATH: '/tmp/l.jsonl' }).transport).toEqual({ type: 'file', path: '/tmp/l.jsonl' });
  });

  it('are part of the configuration, the API key readable from a file like every secret', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-ol-'));
    writeFileSync(path.join(dir, 'key'), 'from-a-file\n');
    const c = loadConfig({ OPENLINEAGE_URL: 'https://lineage.example.com', OPENLINEAGE_API_KEY_FILE: path.join(dir, 'key') });
    expect(c.lineage.transport).toEqual({ type: 'http', url: 'https://lineage.example.com', endpoint: 'api/v1/lineage', apiKey: 'from-a-file' });
    expect(loadConfig({}).lineage.transport).toEqual({ type: 'off' });
  });

  it('say which variable is wrong and what it expects', () => {
    expect(() => loadLineageSettings({ OPENLINEAGE_URL: 'marquez:5000' })).toThrow(/OPENLINEAGE_URL="marquez:5000": expects an http:\/\/ or https:\/\/ URL/);
    expect(() => loadLineageSettings({ OPENLINEAGE_URL: 'not a url' })).toThrow(/OPENLINEAGE_URL="not a url": expects a URL such as http:\/\/marquez:5000/);
    expect(() => loadLineageSettings({ OPENLINEAGE__TRANSPORT__TYPE: 'file' })).toThrow(/OPENLINEAGE__TRANSPORT__LOG_FILE_PATH: unset, while OPENLINEAGE__TRANSPORT__TYPE=file/);
    expect(() => loadLineageSettings({ OPENLINEAGE__TRANSPORT__TYPE: 'kafka' })).toThrow(/expects http or file/);
    expect(() => loadLineageSettings({ OPENLINEAGE_DISABLED: 'maybe' })).toThrow(/OPENLINEAGE_DISABLED="maybe": expects true or false/);
    expect(() => loadLineageSettings({ OPENLINEAGE_URL: 'http://u:hunter2@marquez:5000', OPENLINEAGE_ENDPOINT: 'a b' })).toThrow(/OPENLINEAGE_ENDPOINT="a b"/);
    expect(() => loadLineageSettings({ OPENLINEAGE_URL: 'ftp://u:hunter2@marquez' })).not.toThrow(/hunter2/);
  });
});

describe('the lineage events', () => {
  const ctx = { producer: 'urn:roas:orchestrator', namespace: 'roas', home: datasetHome('postgres://roas_transform:pw@db.example.com:6432/marketing_roas') };

  it('name datasets by host and port, never the user or password', () => {
    expect(ctx.home).toEqual({ namespace: 'postgres://db.example.com:6432', database: 'marketing_roas' });
    expect(datasetHome('postgres://roas@127.0.0.1/marketing_roas').namespace).toBe('postgres://127.0.0.1:5432');
  });

  it('give a node a run ID that is a UUID, the same for the same attempt, another for another', () => {
    const run = '01a242f3-53f0-7e84-80c3-0592f29b732f';
    const a = uuidV5(run, 'build/attempt-1/model.marketing_roas.fct_daily_metrics');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidV5(run, 'build/attempt-1/model.marketing_roas.fct_daily_metrics')).toBe(a);
    expect(uuidV5(run, 'build/attempt-2/model.marketing_roas.fct_daily_metrics')).not.toBe(a);
  });

  it('of a pipeline run are valid against the published schemas, facets included', () => {
    const ref = { pipeline: 'dbt_daily_run', runDate: '2026-11-27', workflowId: 'dbt-daily-run-2026-11-27', runId: '01a242f3-53f0-7e84-80c3-0592f29b732f' };
    const start = pipelineStarted(ctx, { ...ref, trigger: 'scheduled', at: '2026-11-28T00:00:01.000Z' });
    const fail = pipelineFinished(ctx, { ...ref, status: 'failed', errorType: 'DbtTestFailure', error: 'dbt test failed', at: '2026-11-28T00:01:00.000Z' }, 'scheduled');
    expect(lineageProblems(start)).toEqual([]);
    expect(lineageProblems(fail)).toEqual([]);
    expect(start.run.facets.nominalTime).toMatchObject({ nominalStartTime: '2026-11-27T00:00:00.000Z', nominalEndTime: '2026-11-28T00:00:00.000Z' });
    expect(fail).toMatchObject({ eventType: 'FAIL', run: { facets: { errorMessage: { message: 'DbtTestFailure: dbt test failed' } } } });
    // The validator is not a rubber stamp: a run ID that is no UUID, or a facet without its producer, fails.
    expect(lineageProblems({ ...start, run: { runId: 'run-1', facets: {} } }).join()).toMatch(/uuid/);
    expect(lineageProblems({ ...start, run: { ...start.run, facets: { nominalTime: { _schemaURL: start.run.facets.nominalTime!._schemaURL } } } }).join()).toMatch(/_producer|nominalStartTime/);
  });
});
