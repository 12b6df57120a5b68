// Generators of odd input, each invalid by construction for the slot it fills, shared by the
// fuzz tests of the CLI, the dashboard and the marker row.
import fc from 'fast-check';

const pad = (n: number, w: number) => String(n).padStart(w, '0');
/** Never starts with '-': a leading dash is an option to the command-line parser (and -h is help). */
const noDash = (s: string) => !s.startsWith('-');

/** YYYY-MM-DD-looking and not, but never a day from 2000-01-01 to tomorrow. */
export const oddDate: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('0000-01-01', '9999-12-31', '1999-12-31', '2026-02-30', '2026-13-01', '2026-00-10', '2026-11-31', '+010000-01-01', '', ' ', '2026-1-1',
    '२०२६-११-२७', '2026-11-27T00:00:00Z', '1e308', 'NaN', 'Infinity', "2026-11-27'; DROP TABLE x; --", '$(touch /tmp/pwned)', 'yesterday', '2026/11/27'),
  fc.record({ y: fc.oneof(fc.integer({ min: 0, max: 1999 }), fc.integer({ min: 2028, max: 9999 })), m: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 28 }) })
    .map(({ y, m, d }) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`),
  fc.string({ maxLength: 40 }).filter((s) => noDash(s) && !/^\d{4}-\d{2}-\d{2}$/.test(s)),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => noDash(s) && !/^\d{4}-\d{2}-\d{2}$/.test(s)),
);

/** Not a small whole number: negative, fractional, exponent, hex, huge, empty, non-ASCII digits. */
export const oddCount: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('-1', '1e3', '1e309', '0x10', '', ' ', '1.5', 'NaN', 'Infinity', '١٢٣', '99999999999999999999999', '1_000', "1'; select 1; --"),
  fc.bigInt({ min: 10n ** 14n, max: 10n ** 40n }).map(String),
  fc.string({ maxLength: 30 }).filter((s) => noDash(s) && !/^\s*\+?\d+\s*$/.test(s)),
);

/** Never a pipeline, step, status, trigger, schedule or command name: each has a character outside [a-z0-9_-] or is very long. */
export const oddWord: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', ' ', 'DBT', 'dbt;rm -rf /', '../etc/passwd', 'é', '\u0000', 'x'.repeat(5_000), 'dbt\n', 'etl ', '%00', '${HOME}'),
  fc.string({ minLength: 1, maxLength: 60 }).filter((s) => noDash(s) && /[^a-z0-9_-]/.test(s)),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((s) => noDash(s) && /[^a-z0-9_-]/.test(s)),
);

/** Text no field takes: longer than any limit, or with control characters. */
export const oddText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ minLength: 201, maxLength: 6_000 }).filter(noDash),
  fc.string({ unit: 'grapheme', minLength: 201, maxLength: 1_000 }).filter(noDash),
  fc.tuple(fc.string({ maxLength: 20 }), fc.constantFrom('\u0000', '\u0007', '\u001b[2J', '\r', '\n'), fc.string({ maxLength: 20 }))
    .map(([a, c, b]) => `x${a}${c}${b}`),
);

/** Never a timestamp within a month of the day it closes. */
export const oddWatermark: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('9999-12-31T00:00:00Z', '0001-01-01T00:00:00Z', 'infinity', '-infinity', 'epoch', 'now', '2026-11-02T25:00:00Z'),
  oddDate.filter((s) => !/^\d{4}-\d{2}-\d{2}[T ]/.test(s)),
);
