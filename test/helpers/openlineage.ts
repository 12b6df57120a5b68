// OpenLineage for tests: the published JSON schemas (test/fixtures/openlineage, copied as they
// are) with a validator for an event and each of its facets, and a local collector that records
// what it is sent (or takes requests and never answers).
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020';
import formats from 'ajv-formats';

// ajv-formats is CommonJS: its plugin is the default export's default.
const addFormats = (formats as unknown as { default: (ajv: Ajv2020) => Ajv2020 }).default;

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'openlineage');
const CORE = 'https://openlineage.io/spec/2-0-2/OpenLineage.json';

/** Every schema of the fixtures registered by its $id, so $refs by URL resolve. */
function schemas(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.json'))) ajv.addSchema(JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as object);
  return ajv;
}

let ajv: Ajv2020 | undefined;

/** The problems of one event against the core schema and of each facet against its own; empty when valid. */
export function lineageProblems(event: unknown): string[] {
  ajv ??= schemas();
  const problems: string[] = [];
  const check = (ref: string, value: unknown, where: string) => {
    const validate = ajv!.getSchema(ref);
    if (!validate) return problems.push(`${where}: no schema ${ref} in the fixtures`);
    if (!validate(value)) problems.push(`${where}: ${ajv!.errorsText(validate.errors)}`);
  };
  check(`${CORE}#/$defs/RunEvent`, event, 'event');
  const e = event as { run?: { facets?: Record<string, unknown> }; job?: { facets?: Record<string, unknown> }; inputs?: { facets?: Record<string, unknown> }[]; outputs?: { facets?: Record<string, unknown> }[] };
  const groups: [string, Record<string, unknown> | undefined, string][] = [
    ['run', e.run?.facets, 'RunFacet'],
    ['job', e.job?.facets, 'JobFacet'],
    ...[...(e.inputs ?? []), ...(e.outputs ?? [])].map((d, i) => [`dataset ${i}`, d.facets, 'DatasetFacet'] as [string, Record<string, unknown> | undefined, string]),
  ];
  for (const [where, facets, base] of groups) {
    for (const [name, value] of Object.entries(facets ?? {})) {
      const schemaUrl = (value as { _schemaURL?: string })._schemaURL ?? '';
      // A standard facet against its published schema; the project's own against the base facet.
      if (schemaUrl.startsWith('https://openlineage.io/')) check(schemaUrl, value, `${where} facet ${name}`);
      else if (name.startsWith('roas_')) check(`${CORE}#/$defs/${base}`, value, `${where} facet ${name}`);
      else problems.push(`${where} facet ${name}: neither a standard facet nor one of the project's`);
    }
  }
  return problems;
}

/** The facets the tests read, typed. */
export interface ReceivedFacets {
  parent?: { run: { runId: string }; job: { namespace: string; name: string } };
  nominalTime?: { nominalStartTime: string; nominalEndTime?: string };
  roas_run?: { trigger: string; workflowId: string; runDate: string };
  roas_publish?: { runDate: string; models: string[]; replaced: string[] };
  errorMessage?: { message: string };
  sql?: { query: string };
  schema?: { fields: { name: string; type?: string }[] };
  dataQualityAssertions?: { assertions: { assertion: string; name?: string; success: boolean; column?: string; severity?: string }[] };
}

export interface ReceivedDataset {
  namespace: string;
  name: string;
  facets?: ReceivedFacets;
}

/** An event as the collector received it. */
export interface ReceivedEvent {
  eventType: string;
  eventTime: string;
  run: { runId: string; facets: ReceivedFacets };
  job: { namespace: string; name: string; facets: ReceivedFacets };
  inputs: ReceivedDataset[];
  outputs: ReceivedDataset[];
}

export interface Collector {
  url: string;
  events: () => ReceivedEvent[];
  close: () => Promise<void>;
}

/** A local OpenLineage collector: records each POSTed event, answers 201; `hang` takes requests and never answers. */
export async function startCollector(opts: { hang?: boolean } = {}): Promise<Collector> {
  const events: ReceivedEvent[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (opts.hang) return;
      if (req.method === 'POST' && req.url === '/api/v1/lineage') {
        events.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ReceivedEvent);
        res.writeHead(201).end();
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    events: () => [...events],
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
