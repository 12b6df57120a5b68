// validate_source_data: checks on realtime for one date, in one pass over the day's partition,
// each held against a configurable threshold. A failing check stops the ETL before dbt.
import type pg from 'pg';
import { addDays } from '../../src/core/dates';
import type { AcceptedValues } from '../../src/artifacts/dbt-project';
import type { CheckStatus, ValidationCheck, ValidationThresholds } from '../../src/core/types';

interface DayStats {
  events: string;
  duplicates: string;
  invalid: string;
  unknown_campaigns: string;
  unknown_currencies: string;
}

function rateStatus(rate: number, t: { warn: number; fail: number }): CheckStatus {
  if (rate > t.fail) return 'fail';
  if (rate > t.warn) return 'warn';
  return 'pass';
}

const pct = (x: number) => `${(x * 100).toFixed(x < 0.001 && x > 0 ? 4 : 2)} %`;

/**
 * The day's checks. `accepted` is the dbt project's vars.accepted_values (readAcceptedValues):
 * an event whose type, channel or device dbt's row checks would refuse is counted invalid here.
 */
export async function validateSourceData(pool: pg.Pool, runDate: string, t: ValidationThresholds, accepted: AcceptedValues): Promise<ValidationCheck[]> {
  const { rows } = await pool.query<DayStats>(
    `WITH day AS (
       SELECT * FROM realtime.ad_events
       WHERE event_time >= $1::date AT TIME ZONE 'UTC' AND event_time < ($1::date + 1) AT TIME ZONE 'UTC'
     )
     SELECT
       count(*) AS events,
       count(*) - count(DISTINCT day.event_id) AS duplicates,
       count(*) FILTER (WHERE day.event_type <> ALL($2) OR day.channel <> ALL($3) OR day.device <> ALL($4)
                          OR day.campaign_id IS NULL OR day.campaign_id = '' OR day.cost_micros < 0 OR day.revenue_micros < 0
                          OR (day.event_type <> 'conversion' AND day.revenue_micros <> 0)
                          OR day.currency !~ '^[A-Z]{3}$') AS invalid,
       count(*) FILTER (WHERE c.campaign_id IS NULL) AS unknown_campaigns,
       count(*) FILTER (WHERE fx.currency IS NULL) AS unknown_currencies
     FROM day
     LEFT JOIN analytics.campaigns c ON c.campaign_id = day.campaign_id
     LEFT JOIN analytics.fx_rates fx ON fx.currency = day.currency`,
    [runDate, accepted.event_type, accepted.channel, accepted.device],
  );
  const s = rows[0]!;
  const events = Number(s.events);
  const share = (n: string) => (events === 0 ? 0 : Number(n) / events);

  // Baseline: the median of the previous 7 days that had events.
  const history = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM realtime.ad_events
     WHERE event_time >= ($1::date - 7) AT TIME ZONE 'UTC' AND event_time < $1::date AT TIME ZONE 'UTC'
     GROUP BY (event_time AT TIME ZONE 'UTC')::date`,
    [runDate],
  );
  const counts = history.rows.map((r) => Number(r.n)).sort((a, b) => a - b);
  const median = counts.length ? (counts.length % 2 ? counts[(counts.length - 1) / 2]! : (counts[counts.length / 2 - 1]! + counts[counts.length / 2]!) / 2) : null;

  const checks: ValidationCheck[] = [];
  const r = t.rowCountRatio;
  if (median === null || counts.length < 3) {
    checks.push({
      name: 'row_count',
      value: events,
      threshold: 'more than 0 events (fewer than 3 earlier days to compare with)',
      status: events > 0 ? 'pass' : 'fail',
      detail: events > 0 ? `${events.toLocaleString('en-US')} events` : 'no events at all for the date',
    });
  } else {
    const ratio = events / median;
    const status: CheckStatus = ratio < r.failBelow || ratio > r.failAbove ? 'fail' : ratio < r.warnBelow || ratio > r.warnAbove ? 'warn' : 'pass';
    checks.push({
      name: 'row_count',
      value: Math.round(ratio * 1000) / 1000,
      threshold: `${r.warnBelow}–${r.warnAbove} × the 7-day median (fail outside ${r.failBelow}–${r.failAbove})`,
      status,
      detail: `${events.toLocaleString('en-US')} events, ${ratio.toFixed(2)} × the median of ${median.toLocaleString('en-US')} over ${counts.length} earlier days`,
    });
  }
  const rate = (name: string, count: string, th: { warn: number; fail: number }, what: string, extra = '') => {
    const value = share(count);
    checks.push({
      name,
      value,
      threshold: `warn above ${pct(th.warn)}, fail above ${pct(th.fail)}`,
      status: rateStatus(value, th),
      detail: `${Number(count).toLocaleString('en-US')} ${what} (${pct(value)})${extra}`,
    });
  };
  rate('duplicate_event_ids', s.duplicates, t.duplicateRate, 'repeated deliveries of an event_id');
  rate('invalid_fields', s.invalid, t.invalidRate, 'events with a null, unknown or out-of-range field');
  checks.push(await lateRowsCheck(pool, runDate));
  checks.push(await flinkMarkerCheck(pool, runDate, events));
  rate('unknown_campaigns', s.unknown_campaigns, t.unknownCampaignRate, 'events of campaigns missing from the campaigns seed');
  rate('unknown_currencies', s.unknown_currencies, t.unknownCurrencyRate, 'events in a currency without an FX rate');
  return checks;
}

/**
 * Late rows are normal for ad data (conversion lag, late deliveries): the nightly look-back
 * restates the published days that received them. What is worth a look is late rows not yet
 * restated, in the report's 7-day window: a warning naming each day and its count, never a failure.
 */
async function lateRowsCheck(pool: pg.Pool, runDate: string): Promise<ValidationCheck> {
  const { rows } = await pool.query<{ run_date: string; late_rows: string }>(
    `SELECT run_date::text, late_rows FROM realtime_cut.late_rows($1::date - 6, $1::date) ORDER BY run_date DESC`,
    [runDate],
  );
  const total = rows.reduce((n, r) => n + Math.abs(Number(r.late_rows)), 0);
  const threshold = 'none waiting: late rows of a published day are restated by the nightly look-back (roas restate for older days)';
  if (!rows.length) return { name: 'late_events', value: 0, threshold, status: 'pass', detail: `no late rows waiting for a restatement in ${addDays(runDate, -6)}..${runDate}` };
  const days = rows.map((r) => `${r.run_date} (${Number(r.late_rows).toLocaleString('en-US')} rows)`).join(', ');
  return {
    name: 'late_events',
    value: total,
    threshold,
    status: 'warn',
    detail: `${total.toLocaleString('en-US')} late rows not yet restated: ${days}; the next night restates them, or now: roas restate --from ${rows[rows.length - 1]!.run_date} --to ${rows[0]!.run_date}`,
  };
}

/**
 * Does Flink's completion marker agree with the data? A marker the database flagged when it was
 * written (its count off by more than the tolerance, or an empty day), or one the day's rows have
 * since drifted from, is a warning: the run goes ahead and the report and alert say so.
 */
async function flinkMarkerCheck(pool: pg.Pool, runDate: string, events: number): Promise<ValidationCheck> {
  const { rows } = await pool.query<{ row_count: string | null; flag: string | null; note: string | null; tolerance: string }>(
    `SELECT b.row_count, b.flag, b.note, realtime.flink_count_tolerance() AS tolerance
     FROM (SELECT 1) one LEFT JOIN realtime.flink_batches b ON b.run_date = $1::date`,
    [runDate],
  );
  const r = rows[0]!;
  const tolerance = Number(r.tolerance);
  const threshold = `the marker's count within ${pct(tolerance)} of the day's rows`;
  if (r.row_count === null) {
    return { name: 'flink_marker', value: 1, threshold, status: 'warn', detail: `Flink has not reported ${runDate} complete (no marker in realtime.flink_batches)` };
  }
  const marked = Number(r.row_count);
  const apart = Math.abs(marked - events) / Math.max(marked, events, 1);
  const status: CheckStatus = r.flag || apart > tolerance ? 'warn' : 'pass';
  const detail =
    status === 'pass'
      ? `the marker says ${marked.toLocaleString('en-US')} events, the day has ${events.toLocaleString('en-US')}`
      : `${r.note ? `${r.note}; ` : ''}now the marker says ${marked.toLocaleString('en-US')} events and the day has ${events.toLocaleString('en-US')} (${pct(apart)} apart): ` +
        `if the marker is wrong, roas flink-complete --date ${runDate} --replace`;
  return { name: 'flink_marker', value: Math.round(apart * 10_000) / 10_000, threshold, status, detail };
}
