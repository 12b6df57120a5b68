// npm run bench:history-size: how big the recorded histories of runs are (events, and bytes as
// Temporal stores them: the encoded protobuf), for each kind of run, the current workflow code's
// recording beside the previous versions' (test/fixtures/histories: <kind>.json is the current
// code, v<N>-<kind>.json an earlier one). Re-record with ROAS_RECORD_HISTORIES=1 (see
// test/helpers/histories.ts) after changing what a workflow keeps.
import { readdirSync } from 'node:fs';
import proto from '@temporalio/proto';

// A CommonJS package: under plain Node its namespace is reached through the default export.
const { History, HistoryEvent } = proto.temporal.api.history.v1;
const { EventType } = proto.temporal.api.enums.v1;
import { HISTORIES_DIR, loadHistory } from '../test/helpers/histories';
import { runIfMain } from './lib';

export interface HistorySize {
  kind: string;
  version: string;
  events: number;
  bytes: number;
  /** The largest single event: usually a result or a failure carrying node lists. */
  largestEvent: { type: string; bytes: number };
}

export function measureHistorySizes(): HistorySize[] {
  return readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const history = loadHistory(file);
      const events = history.events ?? [];
      let largest = { type: '', bytes: 0 };
      for (const e of events) {
        const bytes = HistoryEvent.encode(e).finish().length;
        if (bytes > largest.bytes) largest = { type: String(EventType[e.eventType ?? 0] ?? e.eventType).replace('EVENT_TYPE_', ''), bytes };
      }
      const m = /^(v\d+)-(.*)\.json$/.exec(file);
      return {
        kind: m ? m[2]! : file.replace(/\.json$/, ''),
        version: m ? m[1]! : 'current',
        events: events.length,
        bytes: History.encode(history).finish().length,
        largestEvent: largest,
      };
    });
}

export function printHistorySizes(rows: HistorySize[]): void {
  const kinds = [...new Set(rows.map((r) => r.kind))];
  const versions = [...new Set(rows.map((r) => r.version))].sort((a, b) => (a === 'current' ? 1 : b === 'current' ? -1 : a.localeCompare(b)));
  console.log(`History size by kind of run (events / KiB encoded; largest event):`);
  for (const kind of kinds) {
    const cells = versions.map((v) => {
      const r = rows.find((x) => x.kind === kind && x.version === v);
      return r ? `${v}: ${r.events} ev / ${(r.bytes / 1024).toFixed(1)} KiB (largest ${r.largestEvent.type} ${(r.largestEvent.bytes / 1024).toFixed(1)} KiB)` : `${v}: –`;
    });
    console.log(`  ${kind}\n    ${cells.join('\n    ')}`);
  }
}

runIfMain(import.meta.url, () => {
  printHistorySizes(measureHistorySizes());
  return Promise.resolve();
});
