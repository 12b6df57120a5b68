// The defects the generator can inject, in a module of their own: the CLI lists them in its
// help without loading the generator (which reads the campaigns and the configuration).
export const DEFECTS = [
  'duplicates',
  'late-events',
  'negative-cost',
  'clicks-without-impressions',
  'unknown-currency',
  'empty-day',
] as const;
export type Defect = (typeof DEFECTS)[number];
