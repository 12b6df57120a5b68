import { loadConfig, type Config } from '../../src/platform/config';

/** The project's configuration as tests see it: defaults, with the given variables set. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'warn', ...env });
}
