// The pieces every OpenLineage event of this project is made of: the producer, the schema URLs
// of the spec version and facets it uses, run IDs, dataset names and the nominal time of a day.
// Pure: no I/O.
import { createHash } from 'node:crypto';

export const SPEC_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json';
export const RUN_EVENT_SCHEMA = `${SPEC_URL}#/$defs/RunEvent`;

/** The facets emitted, each with the version of its schema. */
export const FACET_SCHEMAS = {
  parent: 'https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet',
  nominalTime: 'https://openlineage.io/spec/facets/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet',
  errorMessage: 'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet',
  sql: 'https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet',
  schema: 'https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet',
  dataQualityAssertions: 'https://openlineage.io/spec/facets/1-1-0/DataQualityAssertionsDatasetFacet.json#/$defs/DataQualityAssertionsDatasetFacet',
  jobType: 'https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet',
} as const;

/** This project's own facets: no public schema is hosted for them, so they are named by URN (docs/lineage.md describes them). */
export const CUSTOM_FACET_SCHEMAS = {
  roas_run: 'urn:roas:openlineage:facets:RoasRunFacet:1-0-0',
  roas_publish: 'urn:roas:openlineage:facets:RoasPublishFacet:1-0-0',
} as const;

export type FacetName = keyof typeof FACET_SCHEMAS | keyof typeof CUSTOM_FACET_SCHEMAS;

export interface Facet {
  _producer: string;
  _schemaURL: string;
  [field: string]: unknown;
}

/** The producer URI: this orchestrator, with its build when it runs as a deployed version. */
export function producerUri(buildId?: string): string {
  return `urn:roas:orchestrator${buildId ? `:${buildId.replace(/[^\w.-]/g, '-')}` : ''}`;
}

export function facet(producer: string, name: FacetName, body: Record<string, unknown>): Facet {
  const schemas: Record<FacetName, string> = { ...FACET_SCHEMAS, ...CUSTOM_FACET_SCHEMAS };
  return { _producer: producer, _schemaURL: schemas[name], ...body };
}

/** A run date's nominal time: the UTC day [00:00, 24:00). */
export function nominalDay(producer: string, runDate: string): Facet {
  const start = new Date(`${runDate}T00:00:00.000Z`);
  const end = new Date(start.getTime() + 86_400_000);
  return facet(producer, 'nominalTime', { nominalStartTime: start.toISOString(), nominalEndTime: end.toISOString() });
}

/** A failure's message; the language is that of the failing code (SQL for a dbt node). */
export function errorFacet(producer: string, message: string, programmingLanguage = 'SQL'): Facet {
  return facet(producer, 'errorMessage', { message, programmingLanguage });
}

/**
 * A name-based UUID (RFC 9562 version 5) under a namespace UUID: the same inputs always give the
 * same run ID, so the START and COMPLETE of one dbt node's attempt share it.
 */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const bytes = createHash('sha1')
    .update(Buffer.concat([ns.length === 16 ? ns : createHash('md5').update(namespace).digest(), Buffer.from(name, 'utf8')]))
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Where datasets live, the OpenLineage way for PostgreSQL: postgres://host:port and the database. */
export interface DatasetHome {
  namespace: string;
  database: string;
}

/** From a postgres:// URL, without its user or password. */
export function datasetHome(databaseUrl: string): DatasetHome {
  const u = new URL(databaseUrl);
  const host = u.hostname.includes(':') && !u.hostname.startsWith('[') ? `[${u.hostname}]` : u.hostname;
  return { namespace: `postgres://${host}:${u.port || '5432'}`, database: decodeURIComponent(u.pathname.replace(/^\//, '')) };
}

export function datasetName(home: DatasetHome, schema: string, table: string): string {
  return `${home.database}.${schema}.${table}`;
}
