import fs from 'node:fs';
import path from 'node:path';

export const projectRoot = path.resolve(__dirname, '../..');

/**
 * The README's fenced blocks by the name of their `<!-- snippet: name -->`
 * marker; blocks without a marker are named `unnamed block N`.
 */
export function readmeSnippets(): Map<string, string> {
  const readme = fs.readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
  const snippets = new Map<string, string>();
  const blocks = readme.matchAll(/(<!-- snippet: ([\w-]+) -->\s*\n)?([ \t]*)```\w*\n([\s\S]*?)\n[ \t]*```/g);
  for (const [, , name, indent, body] of blocks) {
    const unindented = body
      .split('\n')
      .map(line => line.slice(indent.length))
      .join('\n');
    snippets.set(name ?? `unnamed block ${snippets.size}`, unindented);
  }
  return snippets;
}

export function readmeSnippet(name: string): string {
  const body = readmeSnippets().get(name);
  if (body === undefined) throw new Error(`README has no snippet '${name}'`);
  return body;
}
