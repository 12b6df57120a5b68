// Every SQL text the TypeScript code sends to PostgreSQL (src, activities, workflows) is built
// only from literals, constants, pg's escapeIdentifier/escapeLiteral, values of a fixed set (a
// number, a boolean, an entry of an `as const` list) and the few values listed below with why
// each is safe. Values from outside (dates, names, counts) go in as bound parameters ($1) or
// escaped; string-built SQL with anything else in it fails here, naming the file, the line and
// the part. The checker itself is tested on a sample with known unsafe and safe lines.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyse, ROOT, sourceFiles, sqlSites, type AllowList, type SqlSite } from './source-analysis';

/**
 * Values interpolated into SQL that the checker cannot prove safe, as `<file>: <expression>`,
 * each with why it is safe. Add an entry only for a value no caller can influence.
 */
const ALLOWED: AllowList = {
  // The migrations are this repository's own files (migrations/NNNN_name.sql, or the folder a
  // test passes), applied whole, each checksummed and never edited once applied; nothing in them
  // comes from input.
  "src/platform/db/migrate.ts: readFileSync(path.join(dir, file), 'utf8')": 'a migration file of the repository',
};

const SAMPLE = path.join(ROOT, 'test/unit/__virtual__/sql-sample.ts');
// Lines marked UNSAFE must be reported, lines marked SAFE must not; NOT-SQL lines are no SQL at all.
const SAMPLE_TEXT = `
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';

const COLUMNS = ['campaign_id', 'channel'] as const;
const TABLE = 'analytics.fct_daily_metrics';
const QUERIES = { totals: 'SELECT 1' };

function escapeIdentifier(s: string): string { return s; } // a look-alike of pg's, which escapes nothing
async function run(client: pg.PoolClient, sql: string) { await client.query(sql); }
async function runFixed(client: pg.PoolClient, sql: string) { await client.query(sql); }

const input = process.argv[2] ?? ''; // what a user typed: any text

export async function sample(client: pg.PoolClient, pool: pg.Pool, obj: { name: string }, limit: number, order: 'ASC' | 'DESC', day: string) {
  await client.query(\`SELECT * FROM t WHERE name = '\${input}'\`); // UNSAFE
  await pool.query('SELECT * FROM ' + input); // UNSAFE
  await client.query({ text: \`DELETE FROM \${obj.name}\`, values: [] }); // UNSAFE
  client.query(copyTo(\`COPY \${input} TO STDOUT\`)); // UNSAFE
  let mutable = 'x';
  mutable = input;
  await client.query(\`SELECT \${mutable}\`); // UNSAFE
  await run(client, \`DROP TABLE \${input}\`); // UNSAFE
  [input].forEach((s) => void client.query(s)); // UNSAFE
  await client.query(\`SELECT \${escapeIdentifier(input)}\`); // UNSAFE
  await client.query(\`SELECT \${input.length > 3 ? input : 'x'}\`); // UNSAFE

  await client.query('SELECT 1'); // SAFE
  await client.query(\`SELECT \${COLUMNS.join(', ')} FROM \${TABLE} WHERE d = $1 ORDER BY 1 \${order} LIMIT \${limit}\`, [input, day]); // SAFE
  await client.query(\`ALTER TABLE \${pg.escapeIdentifier(input)} SET SCHEMA \${client.escapeIdentifier(obj.name)}\`); // SAFE
  await pool.query(\`SELECT \${pg.escapeLiteral(input)}::date\`); // SAFE
  client.query(copyTo(\`COPY (SELECT * FROM \${TABLE} WHERE d = \${client.escapeLiteral(input)}) TO STDOUT\`)); // SAFE
  await client.query({ text: QUERIES.totals }); // SAFE
  await runFixed(client, \`ANALYZE \${TABLE}\`); // SAFE

  const handle = { query: (q: string) => q };
  handle.query(\`\${input}\`); // NOT-SQL
  await forDay(client, pg.escapeLiteral(day)); // SAFE
}

// Sends its parameter: safe as far as its callers pass safe values (checked at each call).
async function forDay(client: pg.PoolClient, day: string) {
  await client.query(\`SELECT * FROM t WHERE day = \${day}::date\`);
}
export const unused = async (client: pg.PoolClient, table: string) => client.query(\`TRUNCATE \${table}\`); // UNSAFE
`;

function linesMarked(marker: string): number[] {
  return SAMPLE_TEXT.split('\n').flatMap((line, i) => (line.endsWith(`// ${marker}`) ? [i + 1] : []));
}
const lineOf = (site: SqlSite) => Number(site.at.split(':').pop());
const describeSite = (s: SqlSite) => `${s.at} (${s.via}): ${s.sql}\n    not known to be safe: ${s.unsafe.join('; ')}`;

describe('the SQL the code sends', () => {
  let real: SqlSite[] = [];
  let sample: SqlSite[] = [];
  const files = sourceFiles(['src', 'activities', 'workflows']);

  beforeAll(() => {
    const sites = sqlSites(analyse(files, { [SAMPLE]: SAMPLE_TEXT }), ALLOWED);
    const samplePath = path.relative(ROOT, SAMPLE).split(path.sep).join('/');
    real = sites.filter((s) => !s.at.startsWith(`${samplePath}:`));
    sample = sites.filter((s) => s.at.startsWith(`${samplePath}:`));
    if (process.env.ROAS_SQL_REPORT) {
      console.log(real.map((s) => `${s.unsafe.length ? 'UNSAFE' : s.allowed.length ? 'allowed' : 'safe'}  ${s.at}  ${s.via}  ${s.sql}`).join('\n'));
    }
  }, 180_000);

  it('the checker reports string-built SQL with outside values in it, and passes constants, escaped and fixed values', () => {
    expect(sample.filter((s) => s.unsafe.length).map(lineOf).sort((x, y) => x - y)).toEqual(linesMarked('UNSAFE'));
    const safeLines = linesMarked('SAFE');
    const seen = sample.map(lineOf);
    // Each SAFE line is a site the checker saw (a wrapper's call included) and found safe.
    for (const line of safeLines) expect(seen, `line ${line} of the sample is SQL`).toContain(line);
    expect(sample.filter((s) => safeLines.includes(lineOf(s)) && s.unsafe.length).map(describeSite)).toEqual([]);
    expect(seen).not.toContain(linesMarked('NOT-SQL')[0]);
  });

  it('is built only from constants, escaped values, fixed values and the allow-list', () => {
    const unsafe = real.filter((s) => s.unsafe.length);
    expect(unsafe.map(describeSite), 'string-built SQL: pass outside values as parameters ($1) or through pg.escapeIdentifier/escapeLiteral').toEqual([]);
  });

  it('is found wherever a file uses pg: every pg query and COPY stream is seen', () => {
    // The walk must not miss a file: each one that imports pg or pg-copy-streams and calls
    // .query( has sites.
    const usesPg = files.filter((f) => {
      const text = readFileSync(f, 'utf8');
      return /from '(pg|pg-copy-streams)'/.test(text) && /\.query\s*(<[^>]*>)?\(/.test(text);
    });
    expect(usesPg.length).toBeGreaterThan(5);
    const withSites = new Set(real.map((s) => s.at.split(':')[0]));
    for (const f of usesPg) expect(withSites, `no SQL found in ${path.relative(ROOT, f)}`).toContain(path.relative(ROOT, f).split(path.sep).join('/'));
    expect(real.some((s) => s.via === 'COPY stream')).toBe(true);
  });

  it('every allow-list entry is still needed', () => {
    const used = new Set(real.flatMap((s) => s.allowed));
    expect(Object.keys(ALLOWED).filter((k) => !used.has(k))).toEqual([]);
  });
});
