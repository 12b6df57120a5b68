// The ETL's source validation reads the accepted event values from the dbt project's vars: what
// it reads, and each way the file can be wrong, refused with the file and what to write.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAcceptedValues } from '../../src/artifacts/dbt-project';
import { PROJECT_ROOT } from '../../src/platform/config';

function project(yml: string | undefined): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-vars-'));
  if (yml !== undefined) writeFileSync(path.join(dir, 'dbt_project.yml'), yml);
  return dir;
}

describe("the dbt project's accepted values", () => {
  it("reads the project's own lists", () => {
    expect(readAcceptedValues(path.join(PROJECT_ROOT, 'dbt'))).toEqual({
      event_type: ['impression', 'click', 'conversion'],
      channel: ['google', 'meta', 'naver', 'kakao', 'tiktok'],
      device: ['mobile', 'desktop', 'tablet'],
    });
  });

  it.each([
    ['no dbt_project.yml', undefined, /cannot read the dbt project's .*dbt_project\.yml: ENOENT/],
    ['YAML that does not parse', 'vars: {accepted_values: [', /cannot read the dbt project's .*dbt_project\.yml: /],
    ['no vars at all', 'name: x\n', /vars\.accepted_values must list the values of event_type, channel, device .*wrong or missing: vars/],
    ['a field missing', 'vars:\n  accepted_values:\n    event_type: [click]\n    channel: [google]\n', /wrong or missing: vars\.accepted_values\.device/],
    ['a value that is not a list', 'vars:\n  accepted_values:\n    event_type: click\n    channel: [google]\n    device: [mobile]\n', /wrong or missing: vars\.accepted_values\.event_type/],
    ['an empty list', 'vars:\n  accepted_values:\n    event_type: []\n    channel: [google]\n    device: [mobile]\n', /wrong or missing: vars\.accepted_values\.event_type/],
  ])('%s: refused, naming the file and what is wrong', (_what, yml, message) => {
    expect(() => readAcceptedValues(project(yml))).toThrow(message);
  });
});
