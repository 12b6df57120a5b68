// The Flink job's input for one UTC day, made by the project's own event generator
// (src/generator/events.ts): the same rows `roas generate-events` loads, written as the stream
// of CSV files that flink/ad_events_job.py reads.
//
//   node_modules/.bin/tsx flink/make-input.ts --date 2026-11-20 --events 100000 --out DIR \
//     [--seed 42] [--defect duplicates,late-events] [--next-day-minutes 10]
//
// Files (in arrival order; the job's filesystem source ignores names starting with "_"):
//   ad_events_YYYYMMDD_1.csv       the day's on-time events in the order they arrive (by the
//                                  generator's ingested_at), then the next day's events that
//                                  arrive in its first --next-day-minutes: those move the
//                                  event-time watermark past the end of the day, so Flink closes
//                                  the day (and writes its marker) while still running.
//   ad_events_YYYYMMDD_2_late.csv  the day's events that arrive after that (the 'late-events'
//                                  defect: ingested the next day at 02:00): put it where the job
//                                  reads after the first file was read, and Flink writes these
//                                  rows but does not count them in the day's marker.
//   _manifest.json                 what the files hold (row counts per file and per kind).
//
// Format: no header, unquoted (no field contains a comma or a quote), timestamps as
// "YYYY-MM-DD HH:MM:SS.mmmZ" (UTC): the form Flink's CSV format parses into TIMESTAMP_LTZ (it
// refuses the generator's ISO "…T…Z" form). Column order: AD_EVENT_COLUMNS.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AD_EVENT_COLUMNS, DEFECTS, generateDayCsv, type Defect } from '../src/local/generator/events';
import { loadCampaigns } from '../src/local/generator/campaigns';

export interface InputFile {
  name: string;
  rows: number;
  /** Rows whose event_time is on the day. */
  dayRows: number;
  /** Rows of the next day (they only advance the watermark). */
  nextDayRows: number;
}

export interface InputManifest {
  date: string;
  events: number;
  seed: number;
  defects: Defect[];
  nextDayMinutes: number;
  columns: readonly string[];
  files: InputFile[];
  /** All rows of the day, duplicates and late rows included: what realtime.ad_events ends up with. */
  dayRows: number;
  /** Rows of the day in the first file: what the day's marker counts. */
  onTimeDayRows: number;
  /** Rows of the day in the late file. */
  lateDayRows: number;
  /** Distinct event_ids of the day. */
  distinctDayEvents: number;
  /** Distinct event_ids among the on-time rows: what a run reading the day at its marker counts. */
  onTimeDistinctEvents: number;
  nextDayRows: number;
}

export interface MakeInputOptions {
  date: string;
  events: number;
  out: string;
  seed?: number;
  defects?: Defect[];
  nextDayMinutes?: number;
}

const INGESTED_AT = AD_EVENT_COLUMNS.indexOf('ingested_at');
const EVENT_TIME = AD_EVENT_COLUMNS.indexOf('event_time');

/** "2026-11-20T13:45:12.345Z" → "2026-11-20 13:45:12.345Z" (the generator always writes milliseconds and Z). */
function flinkTimestamp(iso: string): string {
  if (iso.length !== 24 || iso[10] !== 'T' || iso[23] !== 'Z') throw new Error(`unexpected timestamp from the generator: ${iso}`);
  return `${iso.slice(0, 10)} ${iso.slice(11)}`;
}

interface Row {
  line: string;
  arrival: string;
  eventTime: string;
  eventId: string;
}

/** The generator's rows of a day, each with its arrival (ingested_at) and event_time as ISO text. */
function generatedRows(date: string, events: number, seed: number, defects: Defect[]): Row[] {
  const rows: Row[] = [];
  let rest = '';
  for (const chunk of generateDayCsv({ date, events, seed, defects }, loadCampaigns())) {
    const text = rest + chunk.toString('latin1');
    const lines = text.split('\n');
    rest = lines.pop()!;
    for (const line of lines) if (line) rows.push(toRow(line));
  }
  if (rest) rows.push(toRow(rest));
  return rows;
}

function toRow(csv: string): Row {
  const fields = csv.split(',');
  if (fields.length !== AD_EVENT_COLUMNS.length) throw new Error(`the generator wrote ${fields.length} fields, expected ${AD_EVENT_COLUMNS.length}: ${csv}`);
  const arrival = fields[INGESTED_AT]!;
  const eventTime = fields[EVENT_TIME]!;
  fields[INGESTED_AT] = flinkTimestamp(arrival);
  fields[EVENT_TIME] = flinkTimestamp(eventTime);
  return { line: fields.join(','), arrival, eventTime, eventId: fields[0]! };
}

const byArrival = (a: Row, b: Row) => (a.arrival < b.arrival ? -1 : a.arrival > b.arrival ? 1 : 0);

function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** Writes a file whole under a hidden name, then renames it: a watching source never reads half a file. */
function writeAtomically(dir: string, name: string, lines: string[]): void {
  const tmp = path.join(dir, `.${name}.tmp`);
  writeFileSync(tmp, lines.length ? lines.join('\n') + '\n' : '');
  renameSync(tmp, path.join(dir, name));
}

export function makeInput(opts: MakeInputOptions): InputManifest {
  const seed = opts.seed ?? 42;
  const defects = opts.defects ?? [];
  const nextDayMinutes = opts.nextDayMinutes ?? 10;
  const next = nextDay(opts.date);
  // Arrivals up to this instant are on time; the generator delivers regular events within
  // ~2 minutes of their event time, and its late events at 02:00 of the next day.
  const cutoff = new Date(Date.parse(`${next}T00:00:00Z`) + nextDayMinutes * 60_000).toISOString();

  const day = generatedRows(opts.date, opts.events, seed, defects).sort(byArrival);
  const onTime = day.filter((r) => r.arrival < cutoff);
  const late = day.filter((r) => r.arrival >= cutoff);
  // The next day's opening minutes, without defects: only their event times matter here.
  const following = generatedRows(next, opts.events, seed, [])
    .filter((r) => r.arrival < cutoff)
    .sort(byArrival);

  mkdirSync(opts.out, { recursive: true });
  const compact = opts.date.replaceAll('-', '');
  const files: InputFile[] = [];
  const first = `ad_events_${compact}_1.csv`;
  writeAtomically(opts.out, first, [...onTime.map((r) => r.line), ...following.map((r) => r.line)]);
  files.push({ name: first, rows: onTime.length + following.length, dayRows: onTime.length, nextDayRows: following.length });
  if (late.length) {
    const second = `ad_events_${compact}_2_late.csv`;
    writeAtomically(opts.out, second, late.map((r) => r.line));
    files.push({ name: second, rows: late.length, dayRows: late.length, nextDayRows: 0 });
  }
  const manifest: InputManifest = {
    date: opts.date,
    events: opts.events,
    seed,
    defects,
    nextDayMinutes,
    columns: AD_EVENT_COLUMNS,
    files,
    dayRows: day.length,
    onTimeDayRows: onTime.length,
    lateDayRows: late.length,
    distinctDayEvents: new Set(day.map((r) => r.eventId)).size,
    onTimeDistinctEvents: new Set(onTime.map((r) => r.eventId)).size,
    nextDayRows: following.length,
  };
  writeFileSync(path.join(opts.out, '_manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

const USAGE = `Usage: tsx flink/make-input.ts --date YYYY-MM-DD --events N --out DIR [options]

Writes one UTC day of generated ad events as CSV files for flink/ad_events_job.py.

Options:
  --date YYYY-MM-DD         the UTC day (required)
  --events N                events of the day, before duplicates (required)
  --out DIR                 where to write the files (created if missing)
  --seed N                  generator seed (default 42)
  --defect a,b              generator defects: ${DEFECTS.join(', ')}
  --next-day-minutes N      minutes of the next day's arrivals after the day (default 10)
  -h, --help                this text`;

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      date: { type: 'string' },
      events: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      defect: { type: 'string', multiple: true },
      'next-day-minutes': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const fail = (msg: string): never => {
    console.error(`make-input: ${msg}\n\n${USAGE}`);
    process.exit(2);
  };
  const date = values.date ?? fail('--date is required');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) fail(`--date ${date} is not a date (YYYY-MM-DD)`);
  const whole = (name: string, value: string | undefined, dflt?: number): number => {
    if (value === undefined) return dflt ?? fail(`--${name} is required`);
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a whole number, got ${value}`);
    return n;
  };
  const events = whole('events', values.events);
  const out = values.out ?? fail('--out is required');
  const defects = (values.defect ?? []).flatMap((v) => v.split(',')).map((d) => d.trim()).filter(Boolean);
  for (const d of defects) if (!(DEFECTS as readonly string[]).includes(d)) fail(`unknown defect "${d}"; choose from ${DEFECTS.join(', ')}`);
  const started = Date.now();
  const manifest = makeInput({
    date,
    events,
    out,
    seed: whole('seed', values.seed, 42),
    defects: defects as Defect[],
    nextDayMinutes: whole('next-day-minutes', values['next-day-minutes'], 10),
  });
  for (const f of manifest.files) console.log(`${path.join(out, f.name)}  ${f.rows} rows (${f.dayRows} of ${date}, ${f.nextDayRows} of the next day)`);
  console.log(
    `${date}: ${manifest.dayRows} rows (${manifest.distinctDayEvents} distinct events, ${manifest.onTimeDayRows} on time, ${manifest.lateDayRows} late) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

// Run as a script (not when a test imports makeInput).
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) main(process.argv.slice(2));
