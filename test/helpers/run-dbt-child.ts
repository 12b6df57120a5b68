// A process that starts one dbt invocation through the project's runner and waits: the parent
// test kills it with SIGKILL to see what becomes of its dbt. Usage: run-dbt-child.ts <dbtBin> <targetPath>
import { createDbtRunner } from '../../activities/dbt/runner';

const [dbtBin, targetPath] = process.argv.slice(2);
if (!dbtBin || !targetPath) throw new Error('usage: run-dbt-child.ts <dbtBin> <targetPath>');
const runner = createDbtRunner({ dbtBin, projectDir: targetPath, databaseUrl: 'postgres://nobody@127.0.0.1:1/none', threads: 1 });
await runner({ command: 'run', targetPath });
