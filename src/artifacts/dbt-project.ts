// What dbt_project.yml declares that code outside dbt needs: the values an event's fields may
// take (vars.accepted_values). dbt's row checks and accepted_values tests read the same var, so
// the daily ETL's source validation, which runs before dbt, holds the events to the same rules.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

const FIELDS = ['event_type', 'channel', 'device'] as const;
export type AcceptedValues = Record<(typeof FIELDS)[number], string[]>;

const values = z.array(z.string().min(1)).min(1);
const schema = z.object({ vars: z.object({ accepted_values: z.object({ event_type: values, channel: values, device: values }) }) });

/** The accepted values of the event fields, from the dbt project's vars; a clear error when absent. */
export function readAcceptedValues(projectDir: string): AcceptedValues {
  const file = path.join(projectDir, 'dbt_project.yml');
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read the dbt project's ${file}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = schema.safeParse(doc);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new Error(
      `${file}: vars.accepted_values must list the values of ${FIELDS.join(', ')} (each a non-empty list of text); wrong or missing: ${where}`,
    );
  }
  return parsed.data.vars.accepted_values;
}
