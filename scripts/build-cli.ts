// Bundles the `roas` command line (src/cli/main.ts) for plain node, as `npm run build` does the
// worker: dist/roas.mjs plus the chunks it imports on use (dist/roas-*.mjs), one per command's
// heavy half, so `roas --help` loads no TypeScript compiler and none of the Temporal client,
// pg, the activities. bin/roas runs this when the bundle is missing or a source is newer.
//
// Several `roas` calls may rebuild at once: every file is written under a unique temporary name
// and renamed into place (chunks first, the entry last), so a reader sees either the old bundle
// or the new one, whole. The chunks are content-hashed, so two builds of the same sources write
// the same files. Chunks the new entry no longer uses are removed an hour after they went out
// of use, so a `roas` started just before the rebuild can still load them.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

// Not from src/config.ts: this must run before anything of the project is known to build.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const CLI_BUNDLE_PATH = path.join(DIST, 'roas.mjs');
/**
 * The chunks sit beside the entry in dist/, one directory below the root as src/ is: src/config.ts
 * takes the parent of its own file's directory as PROJECT_ROOT, wherever the bundler put it.
 */
const CHUNK_NAMES = 'roas-[name]-[hash]';
const OURS = /^roas-.+\.mjs$|^roas.*\.tmp$/;
const RETIRED_FOR_MS = 60 * 60 * 1000;

/** The chunks an entry imports, directly or through other chunks (file names in dist/). */
function chunksOf(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    let code: string;
    try {
      code = readFileSync(file, 'utf8');
    } catch {
      return;
    }
    for (const m of code.matchAll(/["']\.\/(roas-[^"'/]+\.mjs)["']/g)) {
      if (seen.has(m[1]!)) continue;
      seen.add(m[1]!);
      visit(path.join(DIST, m[1]!));
    }
  };
  visit(entry);
  return seen;
}

function writeInPlace(file: string, contents: Uint8Array, tag: string, mtime?: Date): void {
  const tmp = `${file}.${tag}.tmp`;
  writeFileSync(tmp, contents);
  if (mtime) utimesSync(tmp, mtime, mtime);
  renameSync(tmp, file);
}

async function main(): Promise<void> {
  // The bundle is dated when the build started: a source saved while esbuild ran is newer, and
  // the next `roas` rebuilds.
  const started = new Date();
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { roas: 'src/cli/main.ts' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outdir: DIST,
    outExtension: { '.js': '.mjs' },
    chunkNames: CHUNK_NAMES,
    write: false,
    logLevel: 'warning',
  });
  mkdirSync(DIST, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const entry = result.outputFiles.find((f) => f.path === CLI_BUNDLE_PATH);
  if (!entry) throw new Error(`esbuild wrote no ${CLI_BUNDLE_PATH}`);
  const chunks = result.outputFiles.filter((f) => f !== entry);
  for (const f of chunks) writeInPlace(f.path, f.contents, tag);
  const previous = existsSync(CLI_BUNDLE_PATH) ? chunksOf(CLI_BUNDLE_PATH) : new Set<string>();
  writeInPlace(CLI_BUNDLE_PATH, entry.contents, tag, started);

  const current = new Set(chunks.map((f) => path.basename(f.path)));
  const now = new Date();
  for (const name of readdirSync(DIST)) {
    if (!OURS.test(name) || current.has(name)) continue;
    const file = path.join(DIST, name);
    try {
      // Out of use from now: keep it for the hour a `roas` started a moment ago may need it.
      if (previous.has(name)) utimesSync(file, now, now);
      else if (statSync(file).mtimeMs < now.getTime() - RETIRED_FOR_MS) rmSync(file, { force: true });
    } catch {
      // Another build removed it first.
    }
  }
}

main().catch((err: unknown) => {
  // esbuild has already printed what failed to compile, with file and line.
  if (!(err instanceof Error && 'errors' in err)) console.error(err);
  process.exit(1);
});
