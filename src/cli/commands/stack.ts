import { Command } from 'commander';
import type { CliContext } from './context';
import { requireSubcommand } from './subcommands';

/** `roas stack stop|status`: the processes this project's `npm start` started, by the PIDs it recorded. */
export function stackCommand(context: () => Promise<CliContext>): Command {
  const cmd = new Command('stack').description(
    "The processes `npm start` started here (the worker, and the Temporal dev server and PostgreSQL when it started them), " +
      'by the PIDs it recorded under .local/stack/: never another project\'s or another user\'s.',
  );
  cmd
    .command('status')
    .description(
      'Each recorded process: running and answering (Temporal its frontend, PostgreSQL a query, npm start its /healthz), ' +
        'running but not answering (half-dead), or gone. Exit 1 unless every recorded process answers.',
    )
    .action(async () => {
      const { config } = await context();
      const [{ describeRecord, readRecords, recordState, stackDir }, { liveness }] = await Promise.all([import('../../local/stack/pids'), import('../../local/stack/liveness')]);
      const records = readRecords(config.localDir);
      if (!records.length) {
        console.log(`nothing recorded in ${stackDir(config.localDir)}: no \`npm start\` of this project is running`);
        return;
      }
      let healthy = true;
      for (const r of records) {
        const state = recordState(r);
        if (state.state !== 'running') {
          healthy = false;
          console.log(describeRecord(r, state));
          continue;
        }
        const live = await liveness(r);
        if (!live.answering) healthy = false;
        console.log(`${r.name} (pid ${r.pid}${r.detail ? `, ${r.detail}` : ''}): ${live.line}`);
      }
      if (!records.some((r) => r.kind === 'npm-start' && recordState(r).state === 'running')) {
        healthy = false;
        console.log('npm start is not running (no worker of this stack): start it again with `npm start`; it takes over the servers that answer and replaces the others');
      }
      if (!healthy) process.exitCode = 1;
    });
  cmd
    .command('stop')
    .description(
      'Stop what `npm start` started: `npm start` itself (it stops its servers as on Ctrl-C), then any server it left running ' +
        '(after a kill -9). A PID is signalled only while it still runs the recorded program, started at the recorded time.',
    )
    .action(async () => {
      const { config } = await context();
      const { stackDir, stopRecorded } = await import('../../local/stack/pids');
      const outcomes = await stopRecorded(config.localDir, { onProgress: (line) => console.log(line) });
      if (!outcomes.length) {
        console.log(`nothing to stop: no process recorded in ${stackDir(config.localDir)}`);
        return;
      }
      for (const o of outcomes) console.log(o.line);
      if (outcomes.some((o) => o.outcome === 'still-running' || o.outcome === 'failed')) process.exitCode = 1;
    });
  return requireSubcommand(cmd);
}
