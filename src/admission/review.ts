// The AdmissionReview v1 envelope: the only place that knows its wire format. The request is
// read, never rewritten: `request.object` reaches the injector as the API server sent it, but for
// its managedFields, which are parsed as null (reviewJson.ts: the injector never reads them).
import { isObject } from '../shared/objects';
export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_REVIEW_KIND = 'AdmissionReview';

export interface GroupVersionKind {
  readonly group?: string;
  readonly version?: string;
  readonly kind?: string;
}

export interface GroupVersionResource {
  readonly group?: string;
  readonly version?: string;
  readonly resource?: string;
}

/** The fields of `request` the webhook reads; everything else is ignored. */
export interface AdmissionRequest {
  readonly uid: string;
  readonly kind?: GroupVersionKind;
  readonly resource?: GroupVersionResource;
  readonly subResource?: string;
  readonly operation?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly object?: unknown;
  readonly dryRun?: boolean;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: 'JSONPatch';
  /** Base64 of the JSON Patch. */
  patch?: string;
  warnings?: string[];
  status?: { code: number; reason: string; message: string };
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: typeof ADMISSION_REVIEW_KIND;
  response: AdmissionResponse;
}

export type ParsedReview = { ok: true; request: AdmissionRequest } | { ok: false; message: string };

/** Checks the envelope of an already JSON-parsed body. */
export function parseAdmissionReview(body: unknown): ParsedReview {
  if (!isObject(body)) return invalid('the body is not a JSON object');
  if (body.apiVersion !== ADMISSION_API_VERSION || body.kind !== ADMISSION_REVIEW_KIND) {
    return invalid(
      `expected apiVersion ${ADMISSION_API_VERSION} and kind ${ADMISSION_REVIEW_KIND}, ` +
        `got ${describe(body.apiVersion)} and ${describe(body.kind)}`,
    );
  }
  const request = body.request;
  if (!isObject(request)) return invalid('the AdmissionReview has no request object');
  if (typeof request.uid !== 'string' || request.uid === '') return invalid('request.uid must be a non-empty string');
  for (const field of ['kind', 'resource'] as const) {
    if (request[field] !== undefined && !isObject(request[field])) return invalid(`request.${field} must be an object`);
  }
  for (const field of ['subResource', 'operation', 'namespace', 'name'] as const) {
    if (request[field] !== undefined && typeof request[field] !== 'string')
      return invalid(`request.${field} must be a string`);
  }
  return { ok: true, request: request as unknown as AdmissionRequest };
}

function invalid(message: string): ParsedReview {
  return { ok: false, message: `invalid AdmissionReview: ${message}` };
}

/** A short description of a value the sender got wrong; never recurses into it (it may be deeply nested). */
function describe(value: unknown): string {
  if (value === undefined) return 'none';
  if (typeof value === 'string')
    return value.length > 100 ? `${JSON.stringify(value.slice(0, 100))}...` : JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'a list' : 'an object';
}

export function review(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_REVIEW_KIND, response };
}
