// Keeps docs/SECURITY.md true: every path, function and test name it cites must exist in the code as written.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');
const doc = read('docs/SECURITY.md');

/** The text of every .ts file under src/ and test/ (this checker excepted), by repository path. */
const sources: ReadonlyMap<string, string> = new Map(
  ['src', 'test'].flatMap((folder) =>
    readdirSync(new URL(`${folder}/`, root), { recursive: true, encoding: 'utf8' })
      .map((path) => `${folder}/${path.replaceAll('\\', '/')}`)
      .filter((path) => path.endsWith('.ts') && !path.startsWith('test/docs/'))
      .map((path) => [path, read(path)] as const),
  ),
);

/** `src/…ts` and `test/…ts` paths, wherever the doc names them. */
const pathPattern = /(?<![\w/.-])((?:src|test)\/[\w./-]*\.ts)(?!\w)/g;
/** A function mention: a code span holding a name (or `Type.name`) followed by empty parentheses. */
const functionPattern = /`(?:[A-Za-z_$][\w$]*\.)*([A-Za-z_$][\w$]*)\(\)`/g;
/** In a table cell: a test file in a code span, or a test name in curly quotes. */
const citationPattern = /`(test\/[\w./-]+\.test\.ts)`|“([^”]+)”/g;

/** Function-like declarations: functions, methods and signatures, and bindings or properties holding a function. */
function declaredFunctionNames(): Set<string> {
  const names = new Set<string>();
  const holdsFunction = (value: ts.Node | undefined): boolean =>
    value !== undefined &&
    (ts.isArrowFunction(value) || ts.isFunctionExpression(value) || ts.isFunctionTypeNode(value));
  const visit = (node: ts.Node): void => {
    const named = node as ts.Node & { name?: ts.Node };
    const declares =
      ts.isFunctionDeclaration(node) ||
      ts.isFunctionExpression(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isMethodSignature(node) ||
      ((ts.isVariableDeclaration(node) ||
        ts.isPropertyAssignment(node) ||
        ts.isPropertyDeclaration(node)) &&
        holdsFunction(node.initializer)) ||
      (ts.isPropertySignature(node) && holdsFunction(node.type));
    if (declares && named.name !== undefined && ts.isIdentifier(named.name))
      names.add(named.name.text);
    ts.forEachChild(node, visit);
  };
  for (const [path, text] of sources)
    visit(ts.createSourceFile(path, text, ts.ScriptTarget.Latest));
  return names;
}

/** Each quoted test name of a table row's last cell, with the test file named before it in that cell. */
function quotedTests(): { file: string | null; name: string }[] {
  const cited: { file: string | null; name: string }[] = [];
  for (const line of doc.split('\n')) {
    if (!line.startsWith('|')) continue;
    const lastCell = line.split('|').slice(1, -1).at(-1) ?? '';
    let file: string | null = null;
    for (const [, path, name] of lastCell.matchAll(citationPattern)) {
      if (path !== undefined) file = path;
      else if (name !== undefined) cited.push({ file, name });
    }
  }
  return cited;
}

describe('docs/SECURITY.md', () => {
  it('names only src/ and test/ paths that exist', () => {
    const paths = [...new Set([...doc.matchAll(pathPattern)].map((match) => match[1] ?? ''))];
    expect(paths.length).toBeGreaterThan(20);
    const missing = paths.filter((path) => !existsSync(new URL(path, root)));
    expect(missing).toEqual([]);
  });

  it('writes as a call only functions that are declared under src/ or test/', () => {
    const names = [...new Set([...doc.matchAll(functionPattern)].map((match) => match[1] ?? ''))];
    expect(names.length).toBeGreaterThan(30);
    const declared = declaredFunctionNames();
    expect(names.filter((name) => !declared.has(name))).toEqual([]);
  });

  it('quotes only test names that occur verbatim in the test file named before them', () => {
    const cited = quotedTests();
    expect(cited.length).toBeGreaterThan(40);
    const wrong = cited.filter(
      ({ file, name }) => file === null || !(sources.get(file)?.includes(name) ?? false),
    );
    expect(wrong).toEqual([]);
  });

  it('quotes test names in the requirements table for most rows', () => {
    const section = doc.split(/^## /m).find((part) => part.startsWith('8. Requirements')) ?? '';
    const rows = section.split('\n').filter((line) => /^\| (draft|RFC|OpenID)/.test(line));
    expect(rows.length).toBeGreaterThan(25);
    const proven = rows.filter((row) => row.includes('“'));
    expect(proven.length).toBeGreaterThan(rows.length - 5);
  });
});
