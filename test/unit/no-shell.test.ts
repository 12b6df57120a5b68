// Every child process the code starts (src, activities, workflows, scripts, bench) is started
// from a program and an argument array, never through a shell: no `shell` option other than
// false, no exec/execSync (child_process) or execaCommand/$`…`/execa`…` (which take one command
// string), and no shell program (sh -c …) as the program. So a date, a path or a name with a
// space, a quote or a `;` in it stays one argument and is never run as a command. The checker
// itself is tested on a sample with known bad and good lines.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyse, processStarts, ROOT, sourceFiles, type ProcessFinding, type ProcessStart } from './source-analysis';

const SAMPLE = path.join(ROOT, 'test/unit/__virtual__/process-sample.ts');
// Lines marked BAD must be reported, lines marked GOOD must be seen as process starts and pass.
const SAMPLE_TEXT = `
import { exec, execSync, spawn, execFile } from 'node:child_process'; // BAD
import * as cp from 'node:child_process';
import { execa, execaCommand as run, $ } from 'execa'; // BAD
import { promisify } from 'node:util';

export async function sample(cmd: string, args: string[]) {
  exec(cmd); // BAD
  execSync('ls -la'); // BAD
  spawn('ls', args, { shell: true }); // BAD
  cp.spawn(cmd, { shell: '/bin/bash' }); // BAD
  execFile('/bin/sh', ['-c', cmd]); // BAD
  await run(cmd); // BAD
  await $\`ls \${cmd}\`; // BAD
  await execa\`ls \${cmd}\`; // BAD
  const opts = { shell: true, cwd: '/' };
  await execa(cmd, args, opts); // BAD
  await execa('ls', [], { ...opts }); // BAD
  const promised = promisify(cp.exec); // BAD

  spawn(cmd, args, { stdio: 'inherit' }); // GOOD
  await execa(cmd, ['--version'], { shell: false }); // GOOD
  await execa(cmd); // GOOD
  cp.execFileSync('ps', ['-p', String(process.pid)], { encoding: 'utf8' }); // GOOD
  return promised;
}
`;

function linesMarked(marker: string): number[] {
  return SAMPLE_TEXT.split('\n').flatMap((line, i) => (line.endsWith(`// ${marker}`) ? [i + 1] : []));
}
const lineOf = (x: { at: string }) => Number(x.at.split(':').pop());

describe('the child processes the code starts', () => {
  let real: { starts: ProcessStart[]; findings: ProcessFinding[] };
  let sample: { starts: ProcessStart[]; findings: ProcessFinding[] };

  beforeAll(() => {
    const all = processStarts(analyse(sourceFiles(['src', 'activities', 'workflows', 'scripts', 'bench']), { [SAMPLE]: SAMPLE_TEXT }));
    const samplePath = path.relative(ROOT, SAMPLE).split(path.sep).join('/');
    const inSample = (x: { at: string }) => x.at.startsWith(`${samplePath}:`);
    real = { starts: all.starts.filter((x) => !inSample(x)), findings: all.findings.filter((x) => !inSample(x)) };
    sample = { starts: all.starts.filter(inSample), findings: all.findings.filter(inSample) };
  }, 180_000);

  it('the checker reports shells and command strings, and passes a program with an argument array', () => {
    expect([...new Set(sample.findings.map(lineOf))].sort((x, y) => x - y)).toEqual(linesMarked('BAD'));
    const started = sample.starts.map(lineOf);
    for (const line of linesMarked('GOOD')) expect(started, `line ${line} of the sample starts a process`).toContain(line);
  });

  it('are started with an argument array and no shell', () => {
    expect(real.findings.map((f) => `${f.at}: ${f.problem}\n    ${f.call}`)).toEqual([]);
  });

  it('are all seen: the dbt runner, the warm dbt, the local PostgreSQL and Temporal, the venv', () => {
    const files = new Set(real.starts.map((s) => s.at.split(':')[0]));
    for (const f of ['activities/dbt/runner.ts', 'activities/dbt/forkserver.ts', 'src/local/stack/postgres.ts', 'src/local/stack/temporal.ts', 'src/local/stack/venv.ts']) {
      expect(files, f).toContain(f);
    }
  });
});
