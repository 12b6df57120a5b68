// Makes sure the namespace knows the runs' search attributes before any run sets them: a run
// that set an unknown attribute would fail its workflow task again and again.
import proto from '@temporalio/proto';
import type { NativeConnection } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES } from '../core/search-attributes';

// A CommonJS module: its namespace comes as the default export when loaded as ESM.
const INDEXED = proto.temporal.api.enums.v1.IndexedValueType;
const TYPES: Record<string, proto.temporal.api.enums.v1.IndexedValueType> = {
  DATETIME: INDEXED.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD: INDEXED.INDEXED_VALUE_TYPE_KEYWORD,
};

export class SearchAttributesError extends Error {}

/** The `temporal` command that registers the attributes by hand (for a server the worker may not change). */
export function registerCommand(namespace: string): string {
  const names = SEARCH_ATTRIBUTES.map((k) => `--name ${k.name}`).join(' ');
  const types = SEARCH_ATTRIBUTES.map((k) => `--type ${k.type === 'DATETIME' ? 'Datetime' : 'Keyword'}`).join(' ');
  return `temporal operator search-attribute create --namespace ${namespace} ${names} ${types}`;
}

/** Adds the attributes the namespace lacks; returns the names added. */
export async function ensureSearchAttributes(connection: Pick<NativeConnection, 'operatorService'>, namespace: string): Promise<string[]> {
  let existing: Record<string, unknown> | undefined;
  try {
    const listed = await connection.operatorService.listSearchAttributes({ namespace });
    existing = { ...listed.customAttributes, ...listed.systemAttributes };
  } catch {
    // Some servers (the SDK's time-skipping test server) cannot list them but can add them.
  }
  const missing = SEARCH_ATTRIBUTES.filter((k) => !existing || !(k.name in existing));
  if (!missing.length) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((k) => [k.name, TYPES[k.type]!])),
    });
  } catch (err) {
    // Another worker may have added them meanwhile.
    const again = await connection.operatorService.listSearchAttributes({ namespace }).catch(() => undefined);
    const still = missing.filter((k) => !(again && k.name in { ...again.customAttributes }));
    if (still.length) {
      throw new SearchAttributesError(
        `the search attributes ${still.map((k) => k.name).join(', ')} are not registered on namespace ${namespace} and this worker could not add them (${(err as Error).message}); register them with: ${registerCommand(namespace)}`,
      );
    }
  }
  return missing.map((k) => k.name);
}
