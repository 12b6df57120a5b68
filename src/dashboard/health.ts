// The one line at the top of the dashboard, from what the sections found.
import { PIPELINES } from '../core/pipelines';
import type { Dashboard, Health } from './types';

/** The one-line answer at the top: is the pipeline healthy, and is the data right? */
export function assessHealth(d: Dashboard, nowMs: number): Health {
  const bad: string[] = [];
  const warn: string[] = [];
  const recent = d.calendar.slice(-7);
  if (!d.temporal.reachable) bad.push(`Temporal is not reachable (${d.temporal.error ?? 'unknown'}): runs in progress cannot be shown.`);
  for (const day of recent) {
    if (day.dbt.state === 'failed') bad.push(`dbt run of ${day.date} failed${day.dbt.run?.errorType ? ` (${day.dbt.run.errorType})` : ''}.`);
    if (day.etl.state === 'failed') bad.push(`Daily ETL of ${day.date} failed${day.etl.run?.errorType ? ` (${day.etl.run.errorType})` : ''}.`);
    if (day.dbt.state === 'missing') warn.push(`No dbt run for ${day.date}.`);
    if (day.etl.state === 'missing' && (day.dbt.state === 'succeeded' || day.dbt.state === 'skipped')) warn.push(`No daily ETL for ${day.date}.`);
    if (day.dbt.slaMissed) warn.push(`dbt run of ${day.date} missed its SLA.`);
  }
  for (const l of d.live) {
    if (l.pipeline === PIPELINES.dbt.name && l.msToSla !== null && l.msToSla < 0) bad.push(`dbt run of ${l.runDate} is past its SLA and still ${l.step}.`);
    else if (l.step === 'waiting-for-flink' && nowMs - Date.parse(l.startedAt) > 30 * 60_000) warn.push(`dbt run of ${l.runDate} has waited for Flink more than 30 minutes.`);
  }
  const undelivered = d.alerts.recent.filter((a) => !a.delivered && nowMs - Date.parse(a.createdAt) < 7 * 86_400_000).length;
  if (undelivered) warn.push(`${undelivered} alert(s) of the last 7 days did not reach Slack.`);
  const lastDay = d.window.dates[d.window.dates.length - 1];
  for (const q of d.quality) {
    const s = q.statuses[q.statuses.length - 1];
    if (s === 'fail') bad.push(`${q.name} failed on ${lastDay}.`);
    else if (s === 'warn') warn.push(`${q.name} warned on ${lastDay}.`);
  }
  const reasons = [...bad, ...warn];
  if (bad.length) return { level: 'bad', headline: 'Needs attention now', reasons };
  if (warn.length) return { level: 'warn', headline: 'Working, with warnings', reasons };
  return { level: 'ok', headline: 'Healthy: runs on time, data checks pass', reasons: [] };
}
