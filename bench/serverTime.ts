// Server time without the network: the injector's own work on one AdmissionReview, timed in
// this process over many iterations, with the same templates and settings as the bench server
// (`--kubernetes off`, `--native-sidecars auto` with no API server: classic sidecars).
import { admit } from '../src/admission/admit';
import type { AdmissionDeps } from '../src/admission/decide';
import { allowWithPatch, reviewText } from '../src/admission/response';
import { parseReviewBody } from '../src/admission/reviewJson';
import { nativeSidecarsEnabled } from '../src/cluster/nativeSidecars';
import { inject } from '../src/injection/inject';
import { nameOnlyNamespaceLabels } from '../src/sources/namespaceLabels';
import { loadTemplatePaths } from '../src/sources/templateFiles';
import { snapshotOf } from '../src/templates/catalog';
import { type LatencySummary, summarize } from './load';
import type { Workload } from './pods';

export interface ServerTime {
  readonly id: string;
  readonly label: string;
  readonly bytes: number;
  readonly iterations: number;
  /** `inject()` and the base64 JSON encoding of its patch, in ms. */
  readonly injectAndEncode: LatencySummary;
  /** Everything the handler does with the bytes: parse (as the server does), envelope, inject, response JSON, in ms. */
  readonly wholeHandler: LatencySummary;
}

/** Times `work` on what `prepare` gives it each iteration; `prepare` is not timed. */
function timed<T>(iterations: number, prepare: () => T, work: (input: T) => void): LatencySummary {
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const input = prepare();
    const start = process.hrtime.bigint();
    work(input);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return summarize(samples);
}

export async function measureServerTime(
  workloads: readonly Workload[],
  templatesDir: string,
  iterations: number,
): Promise<ServerTime[]> {
  const loaded = await loadTemplatePaths([templatesDir]);
  if (loaded.errors.length > 0) throw new Error(`bench templates are invalid: ${JSON.stringify(loaded.errors)}`);
  const catalog = snapshotOf(loaded.templates);
  const deps: AdmissionDeps = {
    catalog: () => catalog,
    namespaceLabels: nameOnlyNamespaceLabels,
    nativeSidecars: () => nativeSidecarsEnabled('auto', undefined),
  };
  const context = { namespace: 'shop', namespaceLabels: deps.namespaceLabels.labelsOf('shop'), nativeSidecars: false };
  const results: ServerTime[] = [];
  for (const w of workloads) {
    const injectAndEncode = (review: unknown) => {
      const pod = (review as { request: { object: unknown } }).request.object;
      const result = inject(pod, context, catalog);
      if (result.outcome !== 'injected') throw new Error(`${w.id}: expected an injection, got ${result.outcome}`);
      return allowWithPatch('uid', result.patch).response.patch;
    };
    const wholeHandler = () => {
      const admission = admit(parseReviewBody(w.body), deps);
      if (admission.kind !== 'answered') throw new Error(`${w.id}: ${admission.message}`);
      return reviewText(admission.review);
    };
    // Warm up the JIT on this input before timing it.
    for (let i = 0; i < Math.min(300, iterations); i++) wholeHandler();
    results.push({
      id: w.id,
      label: w.label,
      bytes: w.body.length,
      iterations,
      // A freshly parsed pod each time, as a server meets every pod for the first time: reusing
      // one parsed object would keep it hot in the cache.
      injectAndEncode: timed(iterations, () => JSON.parse(w.body.toString('utf8')) as unknown, injectAndEncode),
      wholeHandler: timed(iterations, () => undefined, wholeHandler),
    });
  }
  return results;
}
