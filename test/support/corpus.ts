// The corpus of manifest streams in test/corpus/, and what "nothing outside the injected parts
// changed" means for a document render wrote: every pod template may only have gained things
// (containers, volumes, mounts, env, annotations; pod-level resources grown), and everything
// outside the pod templates is equal.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isObject } from '../../src/shared/objects';
import { podTemplatesOf } from '../../src/workloads/manifestDocument';

export const CORPUS_DIR = join(__dirname, '..', 'corpus');

export const corpusFiles = (): string[] =>
  readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

export const corpusText = (file: string): string => readFileSync(join(CORPUS_DIR, file), 'utf8');

/** Where `after` differs from `before` other than by additions, as JSON pointers (empty: none). */
export function changesBesidesAdditions(before: unknown, after: unknown, at = ''): string[] {
  if (Array.isArray(before)) {
    if (!Array.isArray(after)) return [at];
    // Each item of `before` is found, in order, among the items of `after` (which may hold more).
    let next = 0;
    for (const [i, item] of before.entries()) {
      while (next < after.length && changesBesidesAdditions(item, after[next]).length > 0) next++;
      if (next === after.length) return [`${at}/${i}`];
      next++;
    }
    return [];
  }
  if (isObject(before)) {
    if (!isObject(after)) return [at];
    return Object.keys(before).flatMap((key) => changesBesidesAdditions(before[key], after[key], `${at}/${key}`));
  }
  return Object.is(before, after) ? [] : [at];
}

/** The document with each pod template render injects into replaced by a marker. */
export function withoutPodTemplates(document: unknown): unknown {
  const copy = structuredClone(document);
  for (const { pointer } of podTemplatesOf(copy).locations) {
    if (pointer === '') return '<pod>';
    const segments = pointer.slice(1).split('/');
    const last = segments.pop() as string;
    let node = copy as Record<string, unknown>;
    for (const segment of segments) node = node[segment] as Record<string, unknown>;
    node[last] = '<pod template>';
  }
  return copy;
}

/** Pod-level resources may grow (padding); every other change in a pod template is an addition. */
export function podTemplateChanges(before: unknown, after: unknown): string[] {
  return changesBesidesAdditions(before, after).filter((path) => !/\/spec\/resources\/(requests|limits)\//.test(path));
}
