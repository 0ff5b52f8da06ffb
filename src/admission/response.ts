// Response helpers that read as sentences: `allow(uid)`, `allowWithPatch(uid, patch)`,
// `deny(uid, message)`. Empty warnings are left out, and a patch always comes with its type,
// because the API server rejects one without the other. `reviewText` writes their JSON.
import type { AddOperation } from '../injection/patchBuilder';
import { stringifyOperations } from './patchJson';
import { type AdmissionResponse, type AdmissionReviewResponse, review } from './review';

export function allow(uid: string, warnings: readonly string[] = []): AdmissionReviewResponse {
  return review(withWarnings({ uid, allowed: true }, warnings));
}

export function allowWithPatch(
  uid: string,
  patch: readonly AddOperation[],
  warnings: readonly string[] = [],
): AdmissionReviewResponse {
  if (patch.length === 0) return allow(uid, warnings);
  const encoded = Buffer.from(stringifyOperations(patch)).toString('base64');
  return review(withWarnings({ uid, allowed: true, patchType: 'JSONPatch', patch: encoded }, warnings));
}

export function deny(uid: string, message: string, warnings: readonly string[] = []): AdmissionReviewResponse {
  return review(withWarnings({ uid, allowed: false, status: { code: 403, reason: 'Forbidden', message } }, warnings));
}

function withWarnings(response: AdmissionResponse, warnings: readonly string[]): AdmissionResponse {
  return warnings.length > 0 ? { ...response, warnings: [...warnings] } : response;
}

/**
 * JSON.stringify(review) for a review made here. The base64 patch is most of an answer and its
 * alphabet needs no escaping, so it is written as is instead of being scanned for escapes (a
 * regex check would cost as much as the scan). Costs are measured by the bench, and quoted in the
 * README's Performance section rather than here, where they would go stale.
 */
export function reviewText(review: AdmissionReviewResponse): string {
  const { uid, allowed, patchType, patch, warnings, status } = review.response;
  if (patch === undefined || status !== undefined) return JSON.stringify(review);
  const head = JSON.stringify({ apiVersion: review.apiVersion, kind: review.kind });
  const response = JSON.stringify({ uid, allowed, patchType });
  const tail = warnings ? `,"warnings":${JSON.stringify(warnings)}` : '';
  return `${head.slice(0, -1)},"response":${response.slice(0, -1)},"patch":"${patch}"${tail}}}`;
}
