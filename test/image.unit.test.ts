/**
 * No Docker engine runs here, so platform/cdk/Dockerfile is never built in tests. Instead: read its COPY lines
 * and the commands the processes run (its CMD, the `command` arrays in platform/cdk/services.ts), walk the
 * runtime imports of every entry point (and of the workflows the worker bundles at start), and check each
 * one is a file the image copies or a package `npm ci --omit=dev` installs.
 */
import fs from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');
const DOCKERFILE = 'platform/cdk/Dockerfile';
const SERVICES = 'platform/cdk/services.ts';
/** Never needed at runtime: the image must not copy them (so no process can import from them). */
const NOT_IN_IMAGE = ['test', 'bench', 'scripts'];

const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), 'utf8');
const isFile = (rel: string) => fs.statSync(path.join(ROOT, rel), { throwIfNoEntry: false })?.isFile() ?? false;
const toRel = (abs: string) => path.relative(ROOT, abs).split(path.sep).join('/');
const parseTs = (rel: string) =>
  ts.createSourceFile(rel, read(rel), ts.ScriptTarget.Latest, true, /\.[cm]?js$/.test(rel) ? ts.ScriptKind.JS : ts.ScriptKind.TS);
const lineOf = (node: ts.Node) => node.getSourceFile().getLineAndCharacterOfPosition(node.getStart()).line + 1;
const stringOf = (node: ts.Node | undefined) =>
  node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;

// ---- the Dockerfile -------------------------------------------------------------------------------------

interface Copy {
  line: string;
  sources: string[];
  /** where each source lands, relative to the WORKDIR (undefined: outside it) */
  targets: (string | undefined)[];
}

/** Docker's pattern syntax (as in .dockerignore): `*` and `?` within a segment, `**` across segments. */
function globRegExp(pattern: string): RegExp {
  const body = path.posix
    .normalize(pattern)
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .map((seg) => (seg === '**' ? '**' : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
    .join('/')
    .replace(/\*\*\//g, '(?:.*/)?')
    .replace(/\/\*\*$/, '(?:/.*)?')
    .replace(/^\*\*$/, '.*');
  return new RegExp(`^${body}$`);
}

function parseDockerfile(text: string) {
  // join continuation lines, drop comments and blanks
  const instructions = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const args = (rest: string): string[] => (rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/));
  let workdir = '/';
  const copies: Copy[] = [];
  let cmd: string[] | undefined;
  let entrypoint: string[] = [];
  for (const line of instructions) {
    const [, op = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    switch (op.toUpperCase()) {
      case 'WORKDIR':
        workdir = path.posix.resolve(workdir, rest);
        break;
      case 'COPY':
      case 'ADD': {
        const flags = rest.match(/^(--\S+\s+)*/)?.[0] ?? '';
        // a copy from another stage or image is not from the repository
        if (/--from=/.test(flags)) break;
        const list = args(rest.slice(flags.length).trim());
        const dest = list.pop() ?? '';
        const expanded = list.flatMap((src) => {
          const rel = path.posix.normalize(src).replace(/^\.\/|\/$/g, '');
          if (!/[*?[]/.test(rel)) return [rel];
          // a pattern: what it matches in its directory (enough for `COPY *.json ./`)
          const dir = path.posix.dirname(rel);
          const re = globRegExp(rel);
          return fs
            .readdirSync(path.join(ROOT, dir))
            .map((f) => path.posix.join(dir, f))
            .filter((f) => re.test(f));
        });
        const intoDir = dest.endsWith('/') || dest === '.' || expanded.length > 1 || list.some((s) => /[*?[]/.test(s));
        const targets = expanded.map((src) => {
          const abs = path.posix.resolve(workdir, intoDir && isFile(src) ? path.posix.join(dest, path.posix.basename(src)) : dest);
          const rel = path.posix.relative(workdir, abs);
          return rel.startsWith('..') ? undefined : rel || '.';
        });
        copies.push({ line, sources: expanded, targets });
        break;
      }
      case 'CMD':
        cmd = args(rest);
        break;
      case 'ENTRYPOINT':
        entrypoint = args(rest);
        break;
    }
  }
  return { copies, command: [...entrypoint, ...(cmd ?? [])] };
}

// ---- platform/cdk/services.ts: the commands the processes run, and what the image build leaves out ------

function stringArrays(sf: ts.SourceFile, property: string): { line: number; values: (string | undefined)[] }[] {
  const found: { line: number; values: (string | undefined)[] }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isPropertyAssignment(node) && node.name.getText() === property) {
      const init = node.initializer;
      found.push({ line: lineOf(node), values: ts.isArrayLiteralExpression(init) ? init.elements.map((e) => stringOf(e)) : [undefined] });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

function stringProperty(sf: ts.SourceFile, property: string): (string | undefined)[] {
  const found: (string | undefined)[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isPropertyAssignment(node) && node.name.getText() === property) found.push(stringOf(node.initializer));
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** `node [--import X | -r X | --flag] script …`: the script and the modules preloaded before it. */
function nodeCommand(argv: string[]): { script?: string; preloads: string[] } {
  const preloads: string[] = [];
  for (let i = argv[0] === 'node' ? 1 : 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const joined = /^(--import|--require|--loader|--experimental-loader)=(.*)$/.exec(arg);
    if (joined) preloads.push(joined[2]!);
    else if (['--import', '--require', '-r', '--loader', '--experimental-loader'].includes(arg)) preloads.push(argv[++i] ?? '');
    else if (!arg.startsWith('-')) return { script: path.posix.normalize(arg).replace(/^\.\//, ''), preloads };
  }
  return { preloads };
}

// ---- the import graph ---------------------------------------------------------------------------------

interface Specifier {
  spec?: string;
  line: number;
}

/** What a file loads at runtime: imports that are not type-only, re-exports, require(), require.resolve(), import(). */
function runtimeSpecifiers(sf: ts.SourceFile): Specifier[] {
  const out: Specifier[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly = clause?.isTypeOnly || (clause && !clause.name && named && named.length > 0 && named.every((e) => e.isTypeOnly));
      if (!typeOnly) out.push({ spec: stringOf(node.moduleSpecifier), line: lineOf(node) });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      const typeOnly = node.isTypeOnly || (named && named.length > 0 && named.every((e) => e.isTypeOnly));
      if (!typeOnly) out.push({ spec: stringOf(node.moduleSpecifier), line: lineOf(node) });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      if (!node.isTypeOnly) out.push({ spec: stringOf(node.moduleReference.expression), line: lineOf(node) });
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression.getText();
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword || callee === 'require' || callee === 'require.resolve') {
        out.push({ spec: stringOf(node.arguments[0]), line: lineOf(node) });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** How tsx finds a relative import: the file, `.js` standing for `.ts`, then the extensions and index files. */
function resolveRelative(fromRel: string, spec: string): string | undefined {
  const base = toRel(path.resolve(ROOT, path.dirname(fromRel), spec));
  const candidates = [
    base,
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.mjs$/, '.mts'),
    base.replace(/\.cjs$/, '.cts'),
    `${base}.ts`,
    `${base}/index.ts`,
    `${base}.js`,
    `${base}/index.js`,
    `${base}.json`,
  ];
  return candidates.find((c) => !c.startsWith('..') && isFile(c));
}

const packageName = (spec: string) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

/** Where `workflowsPath: …` points: `require.resolve('<rel>')` or `path.join|resolve(__dirname, '<rel>', …)`. */
function workflowsPaths(sf: ts.SourceFile, fromRel: string): { file?: string; line: number; text: string }[] {
  const out: { file?: string; line: number; text: string }[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node)) && node.name.getText() === 'workflowsPath') {
      const init = ts.isPropertyAssignment(node) ? node.initializer : node.name;
      let rel: string | undefined;
      if (ts.isCallExpression(init)) {
        const callee = init.expression.getText();
        const [first, ...rest] = init.arguments;
        const parts = rest.map((a) => stringOf(a));
        if (callee === 'require.resolve' && init.arguments.length === 1) rel = stringOf(first);
        else if (/^path\.(join|resolve)$/.test(callee) && first?.getText() === '__dirname' && parts.every((p) => p !== undefined)) {
          rel = path.posix.join('.', ...(parts as string[]));
        }
      }
      out.push({ file: rel === undefined ? undefined : resolveRelative(fromRel, rel), line: lineOf(node), text: init.getText() });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

// ---- what the image holds ------------------------------------------------------------------------------

const dockerfile = parseDockerfile(read(DOCKERFILE));
const servicesSource = parseTs(SERVICES);
const dependencies = Object.keys((JSON.parse(read('package.json')) as { dependencies?: Record<string, string> }).dependencies ?? {});

// what the image build leaves out of the context: the asset's `exclude` (and a .dockerignore, if one appears)
const ignorePatterns = [
  ...stringArrays(servicesSource, 'exclude').flatMap((e) => e.values),
  ...(isFile('.dockerignore') ? read('.dockerignore').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')) : []),
];
/** Docker semantics: the last matching pattern wins (`!` re-includes), and excluding a directory excludes its contents. */
function excluded(rel: string): boolean {
  const prefixes = rel.split('/').map((_, i, segs) => segs.slice(0, i + 1).join('/'));
  let out = false;
  for (const p of ignorePatterns) {
    if (p === undefined) continue;
    const negate = p.startsWith('!');
    const re = globRegExp(negate ? p.slice(1) : p);
    if (prefixes.some((prefix) => re.test(prefix))) out = !negate;
  }
  return out;
}

const copiedSources = dockerfile.copies.flatMap((c) => c.sources);
const covers = (source: string, rel: string) => source === '.' || source === rel || rel.startsWith(`${source}/`);
const inImage = (rel: string) => copiedSources.some((s) => covers(s, rel)) && !excluded(rel);

/** Every process: the Dockerfile's CMD and each `command` in services.ts. */
const commands = [
  { where: `${DOCKERFILE} CMD`, argv: dockerfile.command as (string | undefined)[] },
  ...stringArrays(servicesSource, 'command').map((c) => ({ where: `${SERVICES}:${c.line} command`, argv: c.values })),
];

test('it reads the COPY lines, the CMD, the processes and the workflow bundle (the parsing works)', () => {
  expect(dockerfile.copies.length).toBeGreaterThan(0);
  expect(copiedSources).toContain('workers');
  expect(nodeCommand(dockerfile.command as string[]).script).toBe('workers/api.ts');
  const scripts = commands.map((c) => nodeCommand(c.argv.filter((a): a is string => a !== undefined)).script);
  expect(scripts).toEqual(expect.arrayContaining(['workers/api.ts', 'workers/reservation-worker.ts']));
  // services.ts builds the image from this Dockerfile (else this test checks the wrong one)
  expect(stringProperty(servicesSource, 'file')).toEqual([DOCKERFILE]);
});

test('every COPY keeps the repository layout, so relative imports resolve in the image as they do here', () => {
  const moved = dockerfile.copies.flatMap((c) =>
    c.sources.flatMap((src, i) => (c.targets[i] === src ? [] : [`${c.line}: ${src} lands at ${c.targets[i] ?? 'outside the WORKDIR'}`])),
  );
  const missing = copiedSources.filter((s) => !fs.existsSync(path.join(ROOT, s))).map((s) => `${s} is copied but does not exist`);
  expect([...moved, ...missing]).toEqual([]);
});

test('the image has the files npm ci and tsx read from the root', () => {
  // npm ci refuses to run without the lockfile; tsx compiles with tsconfig.json's options, as the tests do
  expect(['package.json', 'package-lock.json', 'tsconfig.json'].filter((f) => !inImage(f))).toEqual([]);
});

test(`the image copies nothing from ${NOT_IN_IMAGE.join('/, ')}/`, () => {
  for (const dir of NOT_IN_IMAGE) {
    // `COPY . .` would copy them too, unless the build leaves them out
    const copying = copiedSources.filter((s) => covers(s, dir) || s.startsWith(`${dir}/`)).filter((s) => !excluded(s) && !excluded(dir));
    expect({ dir, copying }).toEqual({ dir, copying: [] });
  }
});

test('every process runs a script the image has, with a loader npm ci --omit=dev installs', () => {
  const problems: string[] = [];
  for (const { where, argv } of commands) {
    if (argv.some((a) => a === undefined)) {
      problems.push(`${where}: not an array of string literals this test can read`);
      continue;
    }
    const { script, preloads } = nodeCommand(argv as string[]);
    if (!script) problems.push(`${where}: no script in ${JSON.stringify(argv)}`);
    else if (!isFile(script) || !inImage(script)) problems.push(`${where}: ${script} is not in the image`);
    for (const p of preloads) {
      const ok = p.startsWith('.') ? inImage(path.posix.normalize(p)) : isBuiltin(p) || dependencies.includes(packageName(p));
      if (!ok) problems.push(`${where}: preloads ${p}, which the image does not have`);
    }
  }
  expect(problems).toEqual([]);
});

test('every runtime import from the entry points (and the bundled workflows) is copied or a production dependency', () => {
  const entries = commands.flatMap((c) => {
    const { script } = nodeCommand(c.argv.filter((a): a is string => a !== undefined));
    return script && isFile(script) ? [script] : [];
  });
  const violations: string[] = [];
  const bundleEntries: string[] = [];
  const seen = new Set<string>();
  const queue = entries.map((file) => ({ file, from: 'an entry point' }));
  while (queue.length > 0) {
    const { file, from } = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    // reported where the graph leaves the image; what such a file imports in turn is beside the point
    if (!inImage(file)) {
      violations.push(`${from}: loads ${file}, which is not copied into the image`);
      continue;
    }
    if (file.endsWith('.json')) continue;
    const sf = parseTs(file);
    // the worker bundles its workflows from a path at start: that code must be in the image too
    for (const w of workflowsPaths(sf, file)) {
      if (!w.file) violations.push(`${file}:${w.line}: workflowsPath ${w.text} is not a path this test can follow`);
      else {
        bundleEntries.push(w.file);
        queue.push({ file: w.file, from: `${file}:${w.line} (workflowsPath)` });
      }
    }
    for (const { spec, line } of runtimeSpecifiers(sf)) {
      const at = `${file}:${line}`;
      if (spec === undefined) violations.push(`${at}: a dynamic import or require this test cannot follow`);
      else if (spec.startsWith('.')) {
        const target = resolveRelative(file, spec);
        if (!target) violations.push(`${at}: '${spec}' resolves to no file (.ts, /index.ts, .js, .json)`);
        else queue.push({ file: target, from: at });
      } else if (path.isAbsolute(spec)) violations.push(`${at}: '${spec}' is an absolute path`);
      else if (!isBuiltin(spec) && !dependencies.includes(packageName(spec))) {
        violations.push(`${at}: '${spec}' is not a Node builtin nor in package.json dependencies (npm ci --omit=dev)`);
      }
    }
  }
  expect(violations).toEqual([]);
  // the walk reached the worker's workflow bundle (else a refactor of how the worker finds it went unnoticed)
  expect(bundleEntries.length).toBeGreaterThan(0);
  expect(bundleEntries.every((f) => seen.has(f))).toBe(true);
});
