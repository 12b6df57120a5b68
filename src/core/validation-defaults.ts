import type { ValidationThresholds } from './types';

/** Defaults for validate_source_data; a run can override any of them (DailyEtlInput.thresholds). */
export const DEFAULT_THRESHOLDS: ValidationThresholds = {
  rowCountRatio: { failBelow: 0.3, warnBelow: 0.7, warnAbove: 1.5, failAbove: 3 },
  duplicateRate: { warn: 0.001, fail: 0.05 },
  invalidRate: { warn: 0, fail: 0.001 },
  lateRate: { warn: 0, fail: 0.01 },
  unknownCampaignRate: { warn: 0, fail: 0.01 },
  unknownCurrencyRate: { warn: 0, fail: 0.001 },
};
