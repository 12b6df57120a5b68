// A process that starts one dbt invocation through the project's runner and waits: the parent
// test kills it with SIGKILL to see what becomes of its dbt. Usage: run-dbt-child.ts <dbtBin> <targetPath> [plain|warm]
import { createDbtRunner } from '../../activities/dbt/runner';

const [dbtBin, targetPath, mode] = process.argv.slice(2);
if (!dbtBin || !targetPath) throw new Error('usage: run-dbt-child.ts <dbtBin> <targetPath> [plain|warm]');
const runner = createDbtRunner({
  dbtBin,
  projectDir: targetPath,
  databaseUrl: 'postgres://nobody@127.0.0.1:1/none',
  threads: 1,
  keepWarm: mode === 'warm',
  // The test checks which way dbt started; this says why, if not the expected way.
  onWarmUnavailable: (err) => process.stderr.write(`${err.message}\n`),
});
await runner({ command: 'run', targetPath });
