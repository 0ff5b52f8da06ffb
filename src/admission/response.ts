// Response helpers that read as sentences: `allow(uid)`, `allowWithPatch(uid, patch)`,
// `deny(uid, message)`. Empty warnings are left out, and a patch always comes with its type,
// because the API server rejects one without the other.
import type { AddOperation } from '../injection/patchBuilder';
import { stringifyReusing } from '../injection/reusableJson';
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
  const encoded = Buffer.from(stringifyReusing(patch)).toString('base64');
  return review(withWarnings({ uid, allowed: true, patchType: 'JSONPatch', patch: encoded }, warnings));
}

export function deny(uid: string, message: string, warnings: readonly string[] = []): AdmissionReviewResponse {
  return review(withWarnings({ uid, allowed: false, status: { code: 403, reason: 'Forbidden', message } }, warnings));
}

function withWarnings(response: AdmissionResponse, warnings: readonly string[]): AdmissionResponse {
  return warnings.length > 0 ? { ...response, warnings: [...warnings] } : response;
}
