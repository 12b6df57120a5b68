// dbt never outlives the worker that started it, even one killed with SIGKILL (no clean-up code
// runs then). A stand-in "dbt" that prints nothing and runs until interrupted shows it: without
// the parent-death signal it would sleep on as an orphan, because only a write to its closed
// stdout would end it.
import { chmodSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config';
import { eventually } from '../helpers/temporal';

describe('the dbt runner', () => {
  it('a dbt whose worker is killed with SIGKILL gets SIGINT at once and stops', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-orphan-'));
    // The venv's Python beside the stand-in, as in a real venv's bin/.
    symlinkSync(path.join(path.dirname(inject('dbtBin')), 'python'), path.join(dir, 'python'));
    const dbt = path.join(dir, 'dbt');
    writeFileSync(
      dbt,
      [
        `#!${path.join(dir, 'python')}`,
        'import os, signal, sys, time',
        `def stop(signum, frame):`,
        `    open(${JSON.stringify(path.join(dir, 'interrupted'))}, 'w').write(str(signum))`,
        '    sys.exit(130)',
        'signal.signal(signal.SIGINT, stop)',
        `open(${JSON.stringify(path.join(dir, 'started'))}, 'w').write(str(os.getpid()))`,
        'time.sleep(120)',
        '',
      ].join('\n'),
    );
    chmodSync(dbt, 0o755);

    const worker = execa(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'test/helpers/run-dbt-child.ts'), dbt, path.join(dir, 'target')], {
      cwd: PROJECT_ROOT,
      reject: false,
    });
    await eventually('the stand-in dbt to start', () => Promise.resolve(existsSync(path.join(dir, 'started'))), 30_000);
    const dbtPid = Number(readFileSync(path.join(dir, 'started'), 'utf8'));

    worker.kill('SIGKILL');
    expect((await worker).signal).toBe('SIGKILL');
    const killedAt = Date.now();
    await eventually('the orphaned dbt to be interrupted', () => Promise.resolve(existsSync(path.join(dir, 'interrupted'))), 10_000);
    expect(Date.now() - killedAt).toBeLessThan(2_000);
    expect(readFileSync(path.join(dir, 'interrupted'), 'utf8')).toBe('2'); // SIGINT: dbt cancels its queries
    await eventually('the orphaned dbt to exit', () => Promise.resolve(!alive(dbtPid)), 10_000);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
