// Static checks on the project's own TypeScript, read with the TypeScript compiler (its parser and
// type checker), for test/unit/sql-safety.test.ts and test/unit/no-shell.test.ts:
//   - sqlSites: every SQL text the code hands to PostgreSQL (pg's query, pg-copy-streams' COPY
//     streams, and the code's own functions that pass a parameter on to them), and whether each
//     is built only from constants, escaped values and values of a fixed set;
//   - processFindings: every child process the code starts, and whether it is started with an
//     argument array and without a shell.
// Symbols are resolved to their declarations, so an import under another name, a namespace
// import or a method reached through a variable are found too; a function of the same name
// from elsewhere is not taken for pg's or execa's.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The .ts/.js files under these project folders (no declaration files, no node_modules). */
export function sourceFiles(dirs: string[]): string[] {
  return dirs
    .flatMap((dir) => {
      const abs = path.join(ROOT, dir);
      if (!existsSync(abs)) return [];
      return readdirSync(abs, { recursive: true, encoding: 'utf8' })
        .filter((f) => /\.(ts|mts|cts|js|mjs|cjs)$/.test(f) && !/\.d\.[mc]?ts$/.test(f) && !f.split(path.sep).includes('node_modules'))
        .map((f) => path.join(abs, f));
    })
    .sort();
}

const KEPT_LIBRARIES = ['pg', 'pg-copy-streams', 'execa'];
const NODE_BUILTINS = new Set(['child_process', 'fs', 'path', 'os', 'url', 'crypto', 'stream', 'events', 'util', 'readline', 'net', 'http', 'timers']);

export interface Analysed {
  program: ts.Program;
  checker: ts.TypeChecker;
  /** The files asked for (not the libraries they import). */
  files: ts.SourceFile[];
}

/**
 * A program over the given files with the project's compiler options. `virtual` adds files that
 * exist only in memory (absolute path → text), for the checks' own tests.
 */
export function analyse(files: string[], virtual: Record<string, string> = {}): Analysed {
  const config = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), (f) => ts.sys.readFile(f));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  options.noEmit = true;
  options.allowJs = true;
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    virtual[name] !== undefined ? ts.createSourceFile(name, virtual[name], language, true) : getSourceFile(name, language, ...rest);
  host.fileExists = (name) => virtual[name] !== undefined || fileExists(name);
  host.readFile = (name) => virtual[name] ?? readFile(name);
  // Only the project's own modules and the libraries the checks look for are read; every other
  // library is left unresolved (its values typed any, which the checks treat as unknown, never
  // as safe). Reading @temporalio, vega or zod would triple the time the checks take.
  const moduleHost: ts.ModuleResolutionHost = host;
  host.resolveModuleNameLiterals = (literals, containingFile, _redirect, compilerOptions) =>
    literals.map((literal) => {
      const name = literal.text;
      const wanted = name.startsWith('.') || KEPT_LIBRARIES.some((lib) => name === lib || name.startsWith(`${lib}/`)) || /^node:/.test(name) || NODE_BUILTINS.has(name);
      if (!wanted) return { resolvedModule: undefined };
      return ts.resolveModuleName(name, containingFile, compilerOptions, moduleHost);
    });
  const roots = [...files, ...Object.keys(virtual)];
  const program = ts.createProgram(roots, options, host);
  const wanted = new Set(roots.map((f) => path.resolve(f)));
  return { program, checker: program.getTypeChecker(), files: program.getSourceFiles().filter((sf) => wanted.has(path.resolve(sf.fileName))) };
}

// ---- shared helpers --------------------------------------------------------------------------

function symbolOf(checker: ts.TypeChecker, node: ts.Node): ts.Symbol | undefined {
  let symbol = checker.getSymbolAtLocation(node);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  return symbol;
}

/** The library a symbol is declared in, by its folder under node_modules: "pg", "@types/pg", "execa", … */
function libraryOf(symbol: ts.Symbol | undefined): string | undefined {
  const file = symbol?.declarations?.[0]?.getSourceFile().fileName;
  const m = file ? /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file.split(path.sep).join('/')) : null;
  return m?.[1];
}

/** The node that names what is called: `f` in f(), `query` in a.b.query(). */
function calleeName(call: ts.CallExpression | ts.NewExpression | ts.TaggedTemplateExpression): ts.Node {
  const callee = ts.isTaggedTemplateExpression(call) ? call.tag : call.expression;
  const e = unwrap(callee);
  return ts.isPropertyAccessExpression(e) ? e.name : e;
}

function unwrap(e: ts.Expression): ts.Expression {
  while (
    ts.isParenthesizedExpression(e) ||
    ts.isAsExpression(e) ||
    ts.isSatisfiesExpression(e) ||
    ts.isNonNullExpression(e) ||
    ts.isTypeAssertionExpression(e) ||
    ts.isAwaitExpression(e)
  ) {
    e = e.expression;
  }
  return e;
}

export function where(node: ts.Node): string {
  const sf = node.getSourceFile();
  const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
  return `${path.relative(ROOT, sf.fileName).split(path.sep).join('/')}:${line + 1}`;
}

function relativeFile(node: ts.Node): string {
  return path.relative(ROOT, node.getSourceFile().fileName).split(path.sep).join('/');
}

function snippet(node: ts.Node, max = 160): string {
  const text = node.getText().replace(/\s+/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The local names a file imports any of `names` from a module as (`import { to as copyTo }`: copyTo). */
function importedAs(sf: ts.SourceFile, fromModule: (specifier: string) => boolean, names: Set<string>): string[] {
  const local: string[] = [];
  for (const statement of sf.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier) || !fromModule(statement.moduleSpecifier.text)) continue;
    const bindings = statement.importClause?.namedBindings;
    if (bindings && ts.isNamedImports(bindings)) {
      for (const el of bindings.elements) if (names.has((el.propertyName ?? el.name).text)) local.push(el.name.text);
    }
  }
  return local;
}

function walk(node: ts.Node, visit: (n: ts.Node) => void): void {
  visit(node);
  node.forEachChild((child) => walk(child, visit));
}

// ---- SQL -------------------------------------------------------------------------------------

/** A value the checks may not see through, named as `<file>: <expression text>`, with why it is safe. */
export type AllowList = Record<string, string>;

export interface SqlSite {
  /** file:line of the call that sends it. */
  at: string;
  /** What sends it: pg query, COPY stream, or a function of the code that passes a parameter on. */
  via: string;
  sql: string;
  /** The parts interpolated into the text that are neither constant, escaped, of a fixed set nor allowed. */
  unsafe: string[];
  /** The allow-list entries this site relies on. */
  allowed: string[];
}

const PG = new Set(['pg', '@types/pg', 'pg-pool', '@types/pg-pool']);
const COPY_STREAMS = new Set(['pg-copy-streams', '@types/pg-copy-streams']);

/**
 * Every place the files send SQL, each with the parts of its text that are not known to be safe.
 * A part is safe when it is a literal; a const (or property of a const object) whose value is
 * safe; pg's escapeIdentifier/escapeLiteral of anything; a value whose type admits only fixed
 * values (a number, a boolean, a union of string literals such as an `as const` list's entries);
 * the join of a list of such values; or an allow-list entry. A parameter of one of the code's
 * functions makes that function a sender itself: its callers' arguments are checked instead.
 */
export function sqlSites(a: Analysed, allow: AllowList): SqlSite[] {
  const { checker } = a;
  const sites: SqlSite[] = [];
  /** Functions of the code that pass a parameter (by index) on as SQL, found along the way. */
  const senders = new Map<ts.Node, Set<number>>();
  const queued: { fn: ts.SignatureDeclaration; index: number; name: string }[] = [];

  const isPgMethod = (call: ts.CallExpression, names: string[]): boolean => {
    const name = calleeName(call);
    if (!ts.isIdentifier(name) || !names.includes(name.text)) return false;
    return PG.has(libraryOf(symbolOf(checker, name)) ?? '');
  };
  // Resolving a name costs type checking: only names that can be a COPY stream are resolved
  // (pg-copy-streams' from/to/both, and what a file imports them as).
  const copyNames = new Set(['from', 'to', 'both']);
  for (const sf of a.files) {
    for (const name of importedAs(sf, (module) => module === 'pg-copy-streams', copyNames)) copyNames.add(name);
  }
  const isCopyStream = (call: ts.CallExpression): boolean => {
    const name = calleeName(call);
    return ts.isIdentifier(name) && copyNames.has(name.text) && COPY_STREAMS.has(libraryOf(symbolOf(checker, name)) ?? '');
  };

  const fixedType = (type: ts.Type): boolean => {
    if (type.isUnion()) return type.types.every(fixedType);
    const fixed = ts.TypeFlags.NumberLike | ts.TypeFlags.BigIntLike | ts.TypeFlags.BooleanLike | ts.TypeFlags.EnumLike | ts.TypeFlags.StringLiteral | ts.TypeFlags.Undefined | ts.TypeFlags.Null;
    return (type.flags & fixed) !== 0;
  };
  /** The types of a list's entries: its element type, or a tuple's entry types. */
  const elementTypes = (type: ts.Type): ts.Type[] | undefined => {
    if (checker.isTupleType(type) || checker.isArrayType(type)) return [...checker.getTypeArguments(type as ts.TypeReference)];
    return undefined;
  };

  interface Verdict {
    unsafe: string[];
    allowed: string[];
    /** Parameters of the code's functions in the text: safe when every caller passes safe SQL. */
    params: { fn: ts.Node; name: string; text: string }[];
  }
  const merge = (...vs: Verdict[]): Verdict => ({
    unsafe: vs.flatMap((v) => v.unsafe),
    allowed: vs.flatMap((v) => v.allowed),
    params: vs.flatMap((v) => v.params),
  });
  const ok: Verdict = { unsafe: [], allowed: [], params: [] };
  const unsafe = (what: string): Verdict => ({ unsafe: [what], allowed: [], params: [] });

  /** The whole SQL text handed over. */
  const text = (expr: ts.Expression, seen: Set<ts.Node>): Verdict => {
    const e = unwrap(expr);
    if (ts.isObjectLiteralExpression(e)) {
      // pg's query config: only `text` is SQL; `values` are bound parameters.
      const parts = e.properties.map((p): Verdict => {
        if (ts.isSpreadAssignment(p)) return unsafe(`${snippet(p)} (the query text cannot be seen)`);
        if (p.name && ts.isIdentifier(p.name) && p.name.text === 'text') {
          if (ts.isPropertyAssignment(p)) return part(p.initializer, seen);
          if (ts.isShorthandPropertyAssignment(p)) return part(p.name, seen);
        }
        return ok;
      });
      return merge(...parts);
    }
    return part(e, seen);
  };

  /** A value that becomes (part of) the SQL text. */
  const part = (expr: ts.Expression, seen: Set<ts.Node>): Verdict => {
    const e = unwrap(expr);
    if (ts.isStringLiteralLike(e) || ts.isNumericLiteral(e)) return ok;
    if (ts.isTemplateExpression(e)) return merge(...e.templateSpans.map((s) => part(s.expression, seen)));
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) return merge(part(e.left, seen), part(e.right, seen));
    if (ts.isBinaryExpression(e) && [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken].includes(e.operatorToken.kind)) {
      return merge(part(e.left, seen), part(e.right, seen));
    }
    if (ts.isConditionalExpression(e)) return merge(part(e.whenTrue, seen), part(e.whenFalse, seen));
    const key = `${relativeFile(e)}: ${e.getText().replace(/\s+/g, ' ')}`;
    if (allow[key] !== undefined) return { unsafe: [], allowed: [key], params: [] };
    if (ts.isCallExpression(e) && isPgMethod(e, ['escapeIdentifier', 'escapeLiteral'])) return ok;
    if (fixedType(checker.getTypeAtLocation(e))) return ok;
    // list.join(', ') of fixed values: the list's element type, or the entries of a const list.
    if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'join') {
      const list = e.expression.expression;
      const sep = e.arguments[0];
      const sepOk = !sep || part(sep, seen).unsafe.length === 0;
      const elements = elementTypes(checker.getTypeAtLocation(list));
      if (sepOk && elements?.length && elements.every(fixedType)) return ok;
      const literal = constInitializer(list);
      if (sepOk && literal && ts.isArrayLiteralExpression(unwrap(literal)) && !seen.has(literal)) {
        const items = (unwrap(literal) as ts.ArrayLiteralExpression).elements;
        const v = merge(...items.map((item) => (ts.isSpreadElement(item) ? part(item.expression, new Set([...seen, literal])) : part(item, new Set([...seen, literal])))));
        if (v.unsafe.length === 0) return v;
      }
    }
    if (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e)) {
      const init = constInitializer(e);
      if (init && !seen.has(init)) return part(init, new Set([...seen, init]));
      const param = parameterOf(e);
      if (param) {
        const fn = param.parent;
        const index = fn.parameters.indexOf(param);
        if (!senders.get(fn)?.has(index)) {
          senders.set(fn, new Set([...(senders.get(fn) ?? []), index]));
          queued.push({ fn, index, name: functionName(fn) });
        }
        return { unsafe: [], allowed: [], params: [{ fn, name: functionName(fn), text: e.getText() }] };
      }
    }
    return unsafe(snippet(e, 100));
  };

  /** The initializer of the const (or of the property of a const object literal) an expression names. */
  const constInitializer = (e: ts.Expression): ts.Expression | undefined => {
    const node = unwrap(e);
    const symbol = symbolOf(checker, ts.isPropertyAccessExpression(node) ? node.name : node);
    const decl = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
    if (!decl || decl.getSourceFile().isDeclarationFile) return undefined;
    if (ts.isVariableDeclaration(decl) && decl.initializer && ts.isVariableDeclarationList(decl.parent) && decl.parent.flags & ts.NodeFlags.Const) {
      return decl.initializer;
    }
    if (ts.isPropertyAssignment(decl) && ts.isPropertyAccessExpression(node)) {
      // A property of an object literal held in a const: { sql: '...' }.
      const owner = constInitializer(node.expression);
      if (owner && ts.isObjectLiteralExpression(unwrap(owner)) && decl.parent === unwrap(owner)) return decl.initializer;
    }
    return undefined;
  };

  /** The parameter of one of the code's functions that an identifier names, if it does. */
  const parameterOf = (e: ts.Expression): ts.ParameterDeclaration | undefined => {
    if (!ts.isIdentifier(e)) return undefined;
    const decl = symbolOf(checker, e)?.valueDeclaration;
    if (!decl || !ts.isParameter(decl) || !ts.isIdentifier(decl.name)) return undefined;
    return a.files.includes(decl.getSourceFile()) ? decl : undefined;
  };

  const functionName = (fn: ts.SignatureDeclaration): string => {
    if (fn.name && ts.isIdentifier(fn.name)) return fn.name.text;
    if (ts.isVariableDeclaration(fn.parent) && ts.isIdentifier(fn.parent.name)) return fn.parent.name.text;
    if (ts.isPropertyAssignment(fn.parent) && ts.isIdentifier(fn.parent.name)) return fn.parent.name.text;
    return '(anonymous function)';
  };

  const pending = new Map<SqlSite, Verdict['params']>();
  const record = (call: ts.CallExpression | ts.NewExpression, via: string, sql: ts.Expression | undefined): void => {
    if (!sql) return;
    const inner = unwrap(sql);
    // client.query(copyFrom(`COPY …`)): the COPY stream is the site; the query call passes it on.
    if (ts.isCallExpression(inner) && isCopyStream(inner)) return;
    const verdict = text(sql, new Set());
    const site: SqlSite = { at: where(call), via, sql: snippet(sql), unsafe: verdict.unsafe, allowed: verdict.allowed };
    sites.push(site);
    if (verdict.params.length) pending.set(site, verdict.params);
  };

  /** The function a call calls, when it is one of the code's own. */
  const calledFunction = (call: ts.CallExpression): ts.Node | undefined => {
    const symbol = symbolOf(checker, calleeName(call));
    const decl = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
    if (!decl) return undefined;
    if (ts.isVariableDeclaration(decl) && decl.initializer) return unwrap(decl.initializer);
    if (ts.isPropertyAssignment(decl)) return unwrap(decl.initializer);
    return decl;
  };

  const calls: ts.CallExpression[] = [];
  for (const sf of a.files) {
    walk(sf, (node) => {
      if (!ts.isCallExpression(node)) return;
      calls.push(node);
      if (isPgMethod(node, ['query'])) record(node, 'pg query', node.arguments[0]);
      else if (isCopyStream(node)) record(node, 'COPY stream', node.arguments[0]);
    });
  }
  // Functions that hand a parameter to a sender are senders too: check what their callers pass.
  const called = new Set<ts.Node>();
  for (let i = 0; i < queued.length; i++) {
    const { fn, index, name } = queued[i]!;
    const callers = calls.filter((call) => calledFunction(call) === fn);
    if (callers.length) called.add(fn);
    for (const call of callers) record(call, `${name}() (passes argument ${index + 1} on as SQL)`, call.arguments[index]);
  }
  // A parameter of a callback, or of a function never called by name in the code: what it holds
  // cannot be seen, so it is not known to be safe.
  for (const [site, params] of pending) {
    for (const p of params) if (!called.has(p.fn)) site.unsafe.push(`${p.text} (a parameter of ${p.name}, which the code never calls by name)`);
  }
  return sites;
}

// ---- child processes -------------------------------------------------------------------------

export interface ProcessFinding {
  at: string;
  call: string;
  problem: string;
}

export interface ProcessStart {
  at: string;
  call: string;
}

const CHILD_PROCESS = new Set(['@types/node']);
/** What takes a command line as one string, and runs it through a shell or splits it itself. */
const COMMAND_STRING = {
  execa: new Set(['execaCommand', 'execaCommandSync', '$', 'parseCommandString']),
  child_process: new Set(['exec', 'execSync']),
};
/** What starts a program from a file and an argument array. */
const FILE_AND_ARGS = {
  execa: new Set(['execa', 'execaSync', 'execaNode']),
  child_process: new Set(['spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork']),
};
const SHELLS = /^(?:.*\/)?(?:sh|bash|zsh|dash|ksh|csh|tcsh|fish|cmd(?:\.exe)?|powershell(?:\.exe)?|pwsh)$/;

/**
 * Every child process the files start, and what is wrong with how (empty `findings` when all
 * are started from a file and an argument array, with no shell).
 */
export function processStarts(a: Analysed): { starts: ProcessStart[]; findings: ProcessFinding[] } {
  const { checker } = a;
  const starts: ProcessStart[] = [];
  const findings: ProcessFinding[] = [];

  const kindOf = (symbol: ts.Symbol | undefined): 'execa' | 'child_process' | undefined => {
    const lib = libraryOf(symbol);
    if (lib === 'execa') return 'execa';
    const file = symbol?.declarations?.[0]?.getSourceFile().fileName ?? '';
    if (lib && CHILD_PROCESS.has(lib) && /child_process\.d\.ts$/.test(file)) return 'child_process';
    return undefined;
  };

  const isArrayLike = (e: ts.Expression): boolean => {
    if (ts.isArrayLiteralExpression(unwrap(e))) return true;
    const type = checker.getTypeAtLocation(e);
    const parts = type.isUnion() ? type.types : [type];
    return parts.every((t) => checker.isArrayType(t) || checker.isTupleType(t) || (t.flags & ts.TypeFlags.Undefined) !== 0);
  };

  const stringValue = (e: ts.Expression): string | undefined => {
    const u = unwrap(e);
    if (ts.isStringLiteralLike(u)) return u.text;
    const type = checker.getTypeAtLocation(u);
    return type.isStringLiteral() ? type.value : undefined;
  };

  /** What is wrong with an options argument's `shell`, if anything. */
  const shellProblem = (options: ts.Expression): string | undefined => {
    const o = unwrap(options);
    if (ts.isObjectLiteralExpression(o)) {
      for (const p of o.properties) {
        if (ts.isSpreadAssignment(p)) {
          const problem = shellInType(checker.getTypeAtLocation(p.expression));
          if (problem) return `${problem} (spread from ${snippet(p.expression, 60)})`;
          continue;
        }
        if (!p.name || !ts.isIdentifier(p.name) || p.name.text !== 'shell') continue;
        if (ts.isPropertyAssignment(p) && p.initializer.kind === ts.SyntaxKind.FalseKeyword) continue;
        return `shell: ${ts.isPropertyAssignment(p) ? snippet(p.initializer, 40) : 'set'}`;
      }
      return undefined;
    }
    return shellInType(checker.getTypeAtLocation(o));
  };
  const shellInType = (type: ts.Type): string | undefined => {
    const prop = type.getProperty('shell');
    if (!prop) return undefined;
    const t = checker.getTypeOfSymbol(prop);
    const parts = t.isUnion() ? t.types : [t];
    const harmless = parts.every((p) => (p.flags & ts.TypeFlags.Undefined) !== 0 || (p.flags & ts.TypeFlags.BooleanLiteral && checker.typeToString(p) === 'false'));
    return harmless ? undefined : `shell may be ${checker.typeToString(t)}`;
  };

  // Resolving a name costs type checking: only the names of these APIs, and what a file imports
  // them as, are resolved.
  const commandNames = new Set([...COMMAND_STRING.execa, ...COMMAND_STRING.child_process]);
  const startNames = new Set([...FILE_AND_ARGS.execa, ...FILE_AND_ARGS.child_process]);
  const fromProcessModule = (m: string) => m === 'execa' || m === 'child_process' || m === 'node:child_process';
  for (const sf of a.files) {
    for (const name of importedAs(sf, fromProcessModule, new Set(commandNames))) commandNames.add(name);
    for (const name of importedAs(sf, fromProcessModule, new Set(startNames))) startNames.add(name);
  }

  for (const sf of a.files) {
    walk(sf, (node) => {
      // Any mention of a command-string API: calling it, importing it, handing it to promisify…
      if (ts.isIdentifier(node)) {
        if (!commandNames.has(node.text)) return;
        const symbol = symbolOf(checker, node);
        const kind = kindOf(symbol);
        if (kind && symbol && COMMAND_STRING[kind].has(symbol.name)) {
          findings.push({ at: where(node), call: snippet(node.parent, 100), problem: `${symbol.name} (${kind}) takes a command string` });
        }
        return;
      }
      if (ts.isTaggedTemplateExpression(node)) {
        const tag = calleeName(node);
        if (!ts.isIdentifier(tag) || !(startNames.has(tag.text) || commandNames.has(tag.text))) return;
        const symbol = symbolOf(checker, tag);
        const kind = kindOf(symbol);
        if (kind === 'execa') {
          findings.push({ at: where(node), call: snippet(node, 100), problem: 'execa as a template tag parses a command string' });
        }
        return;
      }
      if (!ts.isCallExpression(node) && !ts.isNewExpression(node)) return;
      const callee = calleeName(node);
      if (!ts.isIdentifier(callee) || !startNames.has(callee.text)) return;
      const symbol = symbolOf(checker, callee);
      const kind = kindOf(symbol);
      if (!kind || !symbol || !FILE_AND_ARGS[kind].has(symbol.name)) return;
      const args = [...(node.arguments ?? [])];
      starts.push({ at: where(node), call: snippet(node, 120) });
      const problem = (p: string) => findings.push({ at: where(node), call: snippet(node, 120), problem: p });
      const [file, second, ...rest] = args;
      if (!file) return problem('no program to start');
      // execa(options) binds options and returns a new execa: its shell setting matters too.
      if (kind === 'execa' && ts.isObjectLiteralExpression(unwrap(file))) {
        const shell = shellProblem(file);
        if (shell) problem(shell);
        return;
      }
      const program = stringValue(file);
      if (program !== undefined && SHELLS.test(program)) problem(`starts the shell ${program}`);
      let options: ts.Expression[] = rest;
      if (second) {
        if (isArrayLike(second)) {
          // the argument array: fine
        } else if (ts.isObjectLiteralExpression(unwrap(second)) || checker.getTypeAtLocation(second).getProperty('shell') || checker.getTypeAtLocation(second).getProperty('cwd')) {
          options = [second, ...rest];
        } else {
          problem(`its arguments are not an array: ${snippet(second, 60)}`);
        }
      }
      for (const o of options) {
        const shell = shellProblem(o);
        if (shell) problem(shell);
      }
    });
  }
  return { starts, findings };
}
