// The Flink job takes its database password from FLINK_JDBC_PASSWORD or from the file
// FLINK_JDBC_PASSWORD_FILE names (a Docker secret), never both. Checked on the job's own Python
// function, run by the system's Python (the job's PyFlink is not needed for it).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/platform/config';

const source = readFileSync(path.join(PROJECT_ROOT, 'flink', 'ad_events_job.py'), 'utf8');
const helpers = source.slice(source.indexOf('def env(name'), source.indexOf('def jdbc_from_database_url'));
const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-flink-secret-'));

async function secret(env: Record<string, string>) {
  const script = `import os, sys\n${helpers}\ntry:\n    print(repr(secret("FLINK_JDBC_PASSWORD")))\nexcept SystemExit as e:\n    print("refused:", e)\n`;
  const { stdout } = await execa('python3', ['-c', script], { env: { PATH: process.env.PATH ?? '', ...env }, extendEnv: false });
  return stdout.trim();
}

describe('the Flink job reads its password from the environment or a secret file', () => {
  it('the variable, the file (trimmed), neither', async () => {
    writeFileSync(path.join(dir, 'pw'), 's3cret\n');
    expect(await secret({ FLINK_JDBC_PASSWORD: 'plain' })).toBe("'plain'");
    expect(await secret({ FLINK_JDBC_PASSWORD_FILE: path.join(dir, 'pw') })).toBe("'s3cret'");
    expect(await secret({})).toBe('None');
  });

  it('refuses both at once, a missing file and an empty one, saying what to do', async () => {
    writeFileSync(path.join(dir, 'empty'), '\n');
    expect(await secret({ FLINK_JDBC_PASSWORD: 'a', FLINK_JDBC_PASSWORD_FILE: path.join(dir, 'pw') })).toContain('are both set: keep one');
    expect(await secret({ FLINK_JDBC_PASSWORD_FILE: path.join(dir, 'missing') })).toContain('cannot be read (No such file or directory): mount the secret there');
    expect(await secret({ FLINK_JDBC_PASSWORD_FILE: path.join(dir, 'empty') })).toContain('is empty');
  });
});
