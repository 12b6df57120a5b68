// The layers of the code, checked on its imports: one shared core (src/core) that imports
// nothing of the project outside itself; workflows that import the core and, as types only,
// the activities; activities that never import workflow code; and no circle of runtime imports
// anywhere (a circle makes load order matter and drags workflow code into the worker's and the
// CLI's startup, or the worker's into the workflow bundle).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT, sourceFiles } from './source-analysis';

interface Edge {
  from: string;
  to: string;
  /** Erased at compile time: `import type`, or every name imported as a type. */
  typeOnly: boolean;
}

function resolve(fromFile: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && ts.sys.fileExists(candidate)) return path.relative(ROOT, candidate);
  }
  return undefined;
}

function importsOf(file: string): Edge[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const edges: Edge[] = [];
  const add = (spec: ts.Expression | undefined, typeOnly: boolean) => {
    if (!spec || !ts.isStringLiteral(spec)) return;
    const to = resolve(file, spec.text);
    if (to) edges.push({ from: path.relative(ROOT, file), to, typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly = Boolean(clause?.isTypeOnly || (clause && !clause.name && named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier, typeOnly);
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

const files = sourceFiles(['src', 'workflows', 'activities']).filter((f) => f.endsWith('.ts'));
const edges = files.flatMap(importsOf);
const runtime = edges.filter((e) => !e.typeOnly);
const layer = (f: string) => (f.startsWith('src/core/') ? 'core' : f.split('/')[0]!);

/** Every circle of runtime imports (Tarjan's strongly connected components of size > 1). */
function circles(list: Edge[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const e of list) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const connect = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return found;
}

describe('the layers of the code', () => {
  it('reads the imports it checks', () => {
    // A parser that found nothing would pass every rule below.
    expect(files.length).toBeGreaterThan(60);
    expect(edges.some((e) => e.from === 'workflows/dbt-daily-run.ts' && e.to === 'src/core/pipelines.ts')).toBe(true);
    expect(edges.some((e) => e.from === 'workflows/dbt-daily-run.ts' && e.to === 'activities/index.ts' && e.typeOnly)).toBe(true);
  });

  it('the shared core imports nothing of the project outside itself', () => {
    expect(edges.filter((e) => layer(e.from) === 'core' && layer(e.to) !== 'core')).toEqual([]);
  });

  it('workflows import the core, each other, and the activities as types only', () => {
    const bad = edges.filter((e) => layer(e.from) === 'workflows' && !['core', 'workflows'].includes(layer(e.to)) && !(layer(e.to) === 'activities' && e.typeOnly));
    expect(bad).toEqual([]);
  });

  it('activities never import workflow code, and from src only the core, configuration and types', () => {
    expect(edges.filter((e) => layer(e.from) === 'activities' && layer(e.to) === 'workflows')).toEqual([]);
    const allowed = new Set(['src/config.ts', 'src/db/url.ts']);
    expect(runtime.filter((e) => layer(e.from) === 'activities' && layer(e.to) === 'src' && !allowed.has(e.to))).toEqual([]);
  });

  it('no module imports itself back through others', () => {
    expect(circles(runtime)).toEqual([]);
  });

  it('finds a circle when there is one', () => {
    expect(circles([{ from: 'a', to: 'b', typeOnly: false }, { from: 'b', to: 'c', typeOnly: false }, { from: 'c', to: 'a', typeOnly: false }])).toEqual([['a', 'b', 'c']]);
  });
});
