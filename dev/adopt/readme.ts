// What the adoption test does with the README's snippets (read by
// dev/lib/snippets.ts) beyond running them: find the file a code snippet is
// for, and paste YAML into an app-config file as a person would.
import fs from 'node:fs';

import { isMap, isSeq, parseDocument, type Document, type YAMLMap } from 'yaml';

import { PieceError } from '../lib/errors.ts';
import { snippet } from '../lib/snippets.ts';

/**
 * The file a code snippet is for, from its first line (`// path/to/file`),
 * and the code itself.
 */
export function fileSnippet(snippets: Map<string, string>, name: string): { file: string; code: string } {
  const body = snippet(snippets, name);
  const file = /^\/\/ (\S+)\n/.exec(body)?.[1];
  if (!file) throw new PieceError('README', `snippet '${name}' does not start with a \`// path/of/the/file\` line`);
  return { file, code: body };
}

/**
 * Adds a YAML snippet to an app-config file as a person would paste it in:
 * maps are merged key by key and list items are added to the existing list
 * (Backstage's own config merging would replace `app.extensions` instead).
 * Comments and the rest of the file stay as they were.
 */
export function addToAppConfig(appConfigPath: string, yamlSnippet: string): void {
  const target = parseDocument(fs.readFileSync(appConfigPath, 'utf8'));
  const addition = parseDocument(yamlSnippet);
  if (target.errors.length || addition.errors.length) {
    throw new PieceError('app-config', `YAML that does not parse: ${[...target.errors, ...addition.errors].map(e => e.message).join('; ')}`);
  }
  mergeInto(target, target.contents as YAMLMap, addition.contents as YAMLMap);
  fs.writeFileSync(appConfigPath, target.toString());
}

function mergeInto(doc: Document, target: YAMLMap, addition: YAMLMap) {
  for (const pair of addition.items) {
    const key = (pair.key as { value?: unknown })?.value ?? pair.key;
    const existing = target.get(key, true);
    if (isMap(existing) && isMap(pair.value)) {
      mergeInto(doc, existing, pair.value);
    } else if (isSeq(existing) && isSeq(pair.value)) {
      for (const item of pair.value.items) existing.add(item);
    } else {
      // A key the file does not have yet, or one with no value (`kubernetes:`).
      target.set(key, doc.createNode(pair.value === null ? null : (pair.value as { toJSON(): unknown }).toJSON()));
    }
  }
}
