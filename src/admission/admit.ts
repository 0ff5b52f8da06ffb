// One AdmissionReview in, one out: envelope check, decision, response. Unexpected exceptions are
// not caught here; the HTTP layer turns them into a 500 so that `failurePolicy` applies.
import type { InjectionResult } from '../injection/inject';
import { type AdmissionDeps, decide } from './decide';
import { allow, allowWithPatch, deny } from './response';
import { type AdmissionRequest, type AdmissionReviewResponse, parseAdmissionReview } from './review';

export type Admission =
  /** Answered with an AdmissionReview (allowed, patched or denied). */
  | { kind: 'answered'; request: AdmissionRequest; result: InjectionResult; review: AdmissionReviewResponse }
  /** Not an AdmissionReview the webhook can read: the HTTP layer says 400. */
  | { kind: 'invalid'; message: string }
  /** A valid request that cannot be answered yet: the HTTP layer says 503, and failurePolicy decides. */
  | { kind: 'notReady'; request: AdmissionRequest; message: string };

export function admit(body: unknown, deps: AdmissionDeps): Admission {
  const parsed = parseAdmissionReview(body);
  if (!parsed.ok) return { kind: 'invalid', message: parsed.message };
  const { request } = parsed;
  const result = decide(request, deps);
  if (result.outcome === 'notReady') return { kind: 'notReady', request, message: result.message };
  return { kind: 'answered', request, result, review: respond(request.uid, result) };
}

function respond(uid: string, result: InjectionResult): AdmissionReviewResponse {
  switch (result.outcome) {
    case 'injected':
      return allowWithPatch(uid, result.patch, result.warnings);
    case 'denied':
      return deny(uid, result.message, result.warnings);
    default:
      return allow(uid, result.warnings);
  }
}

/** `name`, or `generateName` for controller-made pods, for logs. */
export function podIdentity(request: AdmissionRequest): { pod?: string; generateName?: string } {
  const metadata = (request.object as { metadata?: { name?: unknown; generateName?: unknown } } | null)?.metadata;
  const name = request.name || (typeof metadata?.name === 'string' ? metadata.name : '');
  if (name) return { pod: name };
  return typeof metadata?.generateName === 'string' ? { generateName: metadata.generateName } : {};
}
