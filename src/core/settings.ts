// Defaults of a run's settings, shared by the workflows that apply them and the clients and
// worker that show or override them.

/** Failed work is retried 3 times, 5 minutes apart (4 attempts in all), never without bound. */
export interface RetrySettings {
  intervalMs: number;
  maximumAttempts: number;
}

export const DEFAULT_RETRY: RetrySettings = { intervalMs: 5 * 60_000, maximumAttempts: 4 };
/** The daily dbt run completes within 1 hour of its scheduled time. */
export const DEFAULT_SLA_MS = 60 * 60_000;
/** The Flink gate waits up to 6 hours, looking at realtime.flink_batches every 5 minutes besides the signal. */
export const DEFAULT_FLINK_GATE = { deadlineMs: 6 * 60 * 60_000, recheckMs: 5 * 60_000 };

/**
 * Late data. Each night the pipeline looks back over the `lookbackDays` published days before the
 * day it runs, and restates each that received at least `minLateRows` rows (and at least
 * `minLateShare` of its rows) after the cut it was built from. One Slack message a night when a
 * restated day's total spend, revenue or ROAS moved by more than `alertShare`.
 */
export interface LateDataSettings {
  lookbackDays: number;
  minLateRows: number;
  minLateShare: number;
  alertShare: number;
}

export const DEFAULT_LATE_DATA: LateDataSettings = { lookbackDays: 7, minLateRows: 1, minLateShare: 0, alertShare: 0.02 };
