// The fenced code blocks of a Markdown file (the README, a guide in docs/),
// each named by the `<!-- snippet: NAME -->` marker above it, so what the
// docs say and what the tests run cannot drift apart. Plain TypeScript with
// no import.meta and no local imports: jest (CommonJS) and tsx (ESM) load it
// alike.
import fs from 'node:fs';

/** The file's fenced blocks by marker name; blocks without one are `unnamed block N`. */
export function readSnippets(markdownPath: string): Map<string, string> {
  const markdown = fs.readFileSync(markdownPath, 'utf8');
  const snippets = new Map<string, string>();
  for (const [, , name, indent, body] of markdown.matchAll(/(<!-- snippet: ([\w-]+) -->\s*\n)?([ \t]*)```\w*\n([\s\S]*?)\n[ \t]*```/g)) {
    const unindented = body
      .split('\n')
      .map(line => line.slice(indent.length))
      .join('\n');
    snippets.set(name ?? `unnamed block ${snippets.size}`, unindented);
  }
  return snippets;
}

/** The snippet `name` of `snippets` (read from `file`); fails when there is none. */
export function snippet(snippets: Map<string, string>, name: string, file = 'the README'): string {
  const body = snippets.get(name);
  if (body === undefined) throw new Error(`${file} has no snippet '${name}'`);
  return body;
}

/** The documents people copy snippets from, relative to the repository. */
const DOCUMENTS = ['README.md', 'CONTRIBUTING.md', 'bench/README.md'];

/**
 * The snippets of every document (the README, CONTRIBUTING.md, bench/README.md
 * and docs/*.md) by name. A name may appear in several documents only with
 * the same body, so that a reader gets the same from either.
 */
export function readDocumentSnippets(repoDir: string): Map<string, string> {
  const docs = fs.readdirSync(`${repoDir}/docs`).filter(file => file.endsWith('.md')).map(file => `docs/${file}`);
  const all = new Map<string, string>();
  for (const document of [...DOCUMENTS, ...docs]) {
    for (const [name, body] of readSnippets(`${repoDir}/${document}`)) {
      const key = name.startsWith('unnamed block') ? `${document}: ${name}` : name;
      if (all.has(key) && all.get(key) !== body) throw new Error(`snippet '${name}' of ${document} differs from another document's`);
      all.set(key, body);
    }
  }
  return all;
}
