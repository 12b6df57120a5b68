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
    .description('Each recorded process: running, or gone.')
    .action(async () => {
      const { config } = await context();
      const { describeRecord, readRecords, stackDir } = await import('../stack/pids');
      const records = readRecords(config.localDir);
      if (!records.length) {
        console.log(`nothing recorded in ${stackDir(config.localDir)}: no \`npm start\` of this project is running`);
        return;
      }
      for (const r of records) console.log(describeRecord(r));
    });
  cmd
    .command('stop')
    .description(
      'Stop what `npm start` started: `npm start` itself (it stops its servers as on Ctrl-C), then any server it left running ' +
        '(after a kill -9). A PID is signalled only while it still runs the recorded program, started at the recorded time.',
    )
    .action(async () => {
      const { config } = await context();
      const { stackDir, stopRecorded } = await import('../stack/pids');
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
