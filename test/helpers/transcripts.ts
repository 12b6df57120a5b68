// The terminal transcripts the README and docs/ quote, and how a command's printed output is
// compared with them. A transcript is a fenced code block's line `$ <command>` and the lines after
// it (up to the next `$` line or the end of the block): what the command printed. A line `…`
// stands for any number of printed lines the page leaves out.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface QuotedLine {
  /** 1-based line number in the page. */
  line: number;
  text: string;
}

export interface Transcript {
  /** The page, relative to the project root (`docs/operating.md`). */
  page: string;
  /** Line of the `$ ` command in the page. */
  line: number;
  /** The command as typed, without the `$ `. */
  command: string;
  output: QuotedLine[];
}

/** A fenced code block of a page: its lines (the fence's indentation removed), with their line numbers. */
export interface CodeBlock {
  page: string;
  lines: QuotedLine[];
}

export const ELISION = '…';

/** README.md and every page of docs/, as paths relative to the project root. */
export function docPages(root: string): string[] {
  const docs = readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

/** The fenced code blocks of a page, in order. A fence may be indented (a block inside a list item). */
export function codeBlocks(root: string, page: string): CodeBlock[] {
  const lines = readFileSync(path.join(root, page), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  let open: { indent: string; block: CodeBlock } | undefined;
  lines.forEach((text, i) => {
    const fence = /^(\s*)```/.exec(text);
    if (fence && !open) {
      open = { indent: fence[1]!, block: { page, lines: [] } };
    } else if (fence && open) {
      blocks.push(open.block);
      open = undefined;
    } else if (open) {
      const body = text.startsWith(open.indent) ? text.slice(open.indent.length) : text.trimStart();
      open.block.lines.push({ line: i + 1, text: body });
    }
  });
  return blocks;
}

/** Every transcript of the pages, in page order. */
export function readTranscripts(root: string): Transcript[] {
  const found: Transcript[] = [];
  for (const page of docPages(root)) {
    for (const block of codeBlocks(root, page)) {
      let current: Transcript | undefined;
      for (const l of block.lines) {
        const command = /^\$ (.+)$/.exec(l.text);
        if (command) {
          current = { page, line: l.line, command: command[1]!.trim(), output: [] };
          found.push(current);
        } else if (current) {
          current.output.push(l);
        }
      }
    }
  }
  return found;
}

/** The code block that follows a page's line: a transcript the page goes on with after its prose. */
export function blockAfter(root: string, page: string, line: number): CodeBlock {
  const next = codeBlocks(root, page).find((b) => (b.lines[0]?.line ?? 0) > line);
  if (!next) throw new Error(`${page}: no code block after line ${line}`);
  return next;
}

/**
 * A printed or quoted line with what legitimately differs between two runs replaced by a
 * placeholder: clock times and timestamps, durations, run IDs and workflow-ID suffixes, the
 * generator's throughput, and PostgreSQL's buffer counts (what the cache held). Everything
 * else (words, dates, counts, statuses, the layout) is compared as printed.
 */
export function mask(text: string): string {
  return (
    text
      // Timestamps: 2026-11-28T00:04:12.118Z, 2026-11-29T12:09:17Z, "2026-12-04 23:00 UTC".
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z/g, '<time>')
      .replace(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/g, '<time> UTC')
      .replace(/\b\d\d:\d\d UTC\b/g, '<clock> UTC')
      // Run IDs (whole or shortened with …) and the suffix a backfill's workflow ID takes from the clock.
      .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<id>')
      .replace(/\b[0-9a-f]{4,}(-[0-9a-f]*)?…/g, '<id>')
      .replace(/(backfill-[a-z]+-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d)-[0-9a-z]+/g, '$1-<id>')
      .replace(/\/run-[^/\s]+\//g, '/run-<id>/')
      // Throughput, then durations: "577,175 events/s", "[  10s]", "4.4s", "54.6s", "3m10s",
      // "11 s", "1,205 ms", "23h00m after". A duration's column padding goes with it.
      .replace(/[\d,]+ events\/s/g, '<n> events/s')
      .replace(/\[ *\d+s\]/g, '[<s>]')
      .replace(/ +(\d+h)?(\d+m)?\d+(\.\d+)?s\b/g, ' <s>')
      .replace(/\b(\d+h)?\d+m\d+s\b/g, '<s>')
      .replace(/\b\d+h\d\dm after\b/g, '<s> after')
      .replace(/\b[\d,]+(\.\d+)? (ms|s)\b/g, '<s>')
      // PostgreSQL's own bookkeeping of a node's statements: the buffer cache, and how many
      // statements it kept apart (a day's first build creates its partitions, a later one not).
      .replace(/blocks [\d,]+ read, [\d,]+ hit/g, 'blocks <n> read, <n> hit')
      .replace(/cost: [\d,]+ statements?,/g, 'cost: <n> statements,')
  );
}

/**
 * Where the printed lines stop agreeing with the quoted ones, or undefined when they agree: each
 * quoted line must be printed, in order, with nothing between them except where the page says `…`.
 */
export function firstDisagreement(quoted: QuotedLine[], printed: string[]): { quoted?: QuotedLine; reason: string } | undefined {
  const q = quoted.map((l) => ({ ...l, masked: l.text.trim() === ELISION ? ELISION : mask(l.text.trimEnd()) }));
  const p = printed.map((l) => mask(l.trimEnd()));
  // furthest[i]: how far into the quote a match got; memo of (quote index, printed index) tried.
  let furthest = 0;
  const tried = new Set<string>();
  const match = (i: number, j: number): boolean => {
    furthest = Math.max(furthest, i);
    if (i === q.length) return j === p.length;
    const key = `${i}:${j}`;
    if (tried.has(key)) return false;
    tried.add(key);
    if (q[i]!.masked === ELISION) {
      for (let k = j; k <= p.length; k++) if (match(i + 1, k)) return true;
      return false;
    }
    return j < p.length && p[j] === q[i]!.masked && match(i + 1, j + 1);
  };
  if (match(0, 0)) return undefined;
  if (furthest === q.length) return { reason: 'the command printed more lines than the page quotes (end the quote with a line … if it leaves them out)' };
  return { quoted: q[furthest], reason: 'the command does not print this line here' };
}

/** What a disagreement says: the page and line, the quoted line, and what was printed (masked). */
export function describeDisagreement(page: string, command: string, quoted: QuotedLine[], printed: string[]): string | undefined {
  const d = firstDisagreement(quoted, printed);
  if (!d) return undefined;
  const where = d.quoted ? `${page}:${d.quoted.line}: ${JSON.stringify(d.quoted.text)}` : `${page}: after line ${quoted.at(-1)?.line ?? '?'}`;
  return [
    `${where}: ${d.reason}`,
    `$ ${command} printed (timestamps, durations and IDs shown masked):`,
    ...printed.map((l) => `  | ${mask(l.trimEnd())}`),
    'as printed:',
    ...printed.map((l) => `  | ${l.trimEnd()}`),
  ].join('\n');
}
