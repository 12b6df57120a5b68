// Every `roas` command the README and docs/ show is one the CLI takes as written: each is parsed by
// the real command-line parser, and must get past its input checks to the point where it would
// connect to a server (or print help). A page that shows an option that no longer exists, a
// renamed command or a date the CLI refuses fails here. This checks that a command is taken, not
// what it prints: the pages' transcripts (a code block's `$ <command>` line and the lines quoted
// after it) are run on the real servers by test/integration/docs-output.test.ts, which compares
// what each prints with the quote.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseRoas } from '../helpers/cli-parse';
import { PROJECT_ROOT } from '../../src/platform/config';

const REACHED = 'reached its context';
const reached = () => Promise.reject(new Error(REACHED));

/** Splits a command line as a shell would (quotes, no expansion); stops at a comment. */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(#.*$)|(\S+)/g;
  for (const m of line.matchAll(re)) {
    if (m[3] !== undefined) break;
    out.push(m[1] ?? m[2] ?? m[4]!);
  }
  return out;
}

/** The `roas …` commands of a Markdown page: in code blocks and in inline code. */
export function roasCommands(markdown: string): string[] {
  const found: string[] = [];
  for (const raw of markdown.matchAll(/^```[a-z]*\n([\s\S]*?)^```|`([^`\n]+)`/gm)) {
    const inline = raw[2] !== undefined;
    const text = raw[1] ?? raw[2] ?? '';
    for (const line of text.split('\n')) {
      const m = /(?:^|\$ |&& )(?:npm run -s roas -- |\.\/bin\/roas |roas )(.*)$/.exec(line.trim());
      if (!m) continue;
      const rest = m[1]!.trim();
      // Placeholders and alternatives are prose, not a command to paste.
      if (!rest || /[<>[\]…|]|\bN\b|\bD\b|YYYY/.test(rest)) continue;
      // Inline code in prose names a command ("`roas status` shows…"); it is a command to paste
      // when it carries its date, or needs none.
      if (inline && !/\d{4}-\d{2}-\d{2}/.test(rest) && !/^(schedules (list|apply|pause dbt|unpause dbt)|stack (status|stop)|runs|validate|deploy status)\b/.test(rest)) continue;
      found.push(rest);
    }
  }
  return found;
}

const pages = ['README.md', ...readdirSync(path.join(PROJECT_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f))];
const commands = pages.flatMap((page) => roasCommands(readFileSync(path.join(PROJECT_ROOT, page), 'utf8')).map((c) => [page, c] as const));

describe('every roas command in the README and docs/ is one the CLI takes', () => {
  it('finds the commands it checks', () => {
    expect(commands.length).toBeGreaterThan(40);
  });

  it.each(commands)('%s: roas %s', async (_page, command) => {
    const { error, printed } = await parseRoas(words(command), reached);
    if (error instanceof CommanderError) expect(error.exitCode, printed).toBe(0);
    else if (error !== undefined) expect((error as Error).message).toBe(REACHED);
  });
});
