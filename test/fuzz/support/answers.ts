// The oracle of the fuzz tests: what every answer of POST /mutate must be, whatever was sent.
// Deeply nested requests are handled without recursion (no structuredClone, no toEqual, no
// JSON.stringify of the request), so the check itself never overflows the stack.
import { applyPatch, type Operation } from 'fast-json-patch';

export const MAX_WARNING_LENGTH = 120;
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what it looks for
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What the server answered: its status and body text. */
export interface Reply {
  readonly status: number;
  readonly text: string;
}

/** Kinds of answers seen, to show that a batch reached every outcome. */
export type AnswerKind = 'injected' | 'allowed' | 'denied' | '400' | '413';

/**
 * The contract's envelope rule, stated independently of the server's parser: a JSON object with
 * apiVersion/kind of a v1 AdmissionReview, a `request` object with a non-empty string `uid`,
 * `kind`/`resource` absent or objects, and `subResource`/`operation`/`namespace`/`name` absent
 * or strings. Returns the parsed body when well-formed.
 */
export function wellFormedReview(body: unknown): { request: Obj } | undefined {
  if (!isObject(body) || body.apiVersion !== 'admission.k8s.io/v1' || body.kind !== 'AdmissionReview') return;
  const request = body.request;
  if (!isObject(request) || typeof request.uid !== 'string' || request.uid === '') return;
  if (['kind', 'resource'].some((f) => request[f] !== undefined && !isObject(request[f]))) return;
  if (
    ['subResource', 'operation', 'namespace', 'name'].some(
      (f) => request[f] !== undefined && typeof request[f] !== 'string',
    )
  )
    return;
  return { request };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

class Violation extends Error {}
function must(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Violation(message);
}

/**
 * Throws when `reply` breaks the contract for the request `sent` (exactly the bytes sent):
 * - 200: an AdmissionReview v1 with the request's uid; allowed true/false; patchType JSONPatch
 *   if and only if there is a patch; a patch of `add` operations that applies (validated) to
 *   request.object and keeps the app containers' fields; warnings of at most 120 characters;
 * - 400: only for a body that is not a well-formed AdmissionReview; 413 only over the limit;
 *   both as a Kubernetes Status;
 * - anything else (a 5xx above all) is a failure.
 */
export function checkAnswer(sent: string | Buffer, reply: Reply, bodyLimit: number): AnswerKind {
  const size = Buffer.byteLength(sent);
  const text = typeof sent === 'string' ? sent : sent.toString('utf8');
  const answer = parse(reply.text) as Obj | undefined;
  const where = `status ${reply.status}, answer ${reply.text.slice(0, 300)}`;
  if (reply.status === 413) {
    must(size > bodyLimit, `413 for a body of ${size} bytes, within the limit of ${bodyLimit}: ${where}`);
    must(isObject(answer) && answer.kind === 'Status' && answer.code === 413, `413 without a Status: ${where}`);
    return '413';
  }
  must(size <= bodyLimit, `a body of ${size} bytes over the limit of ${bodyLimit} was not refused with 413: ${where}`);
  const review = wellFormedReview(parse(text));
  if (reply.status === 400) {
    must(!review, `400 for a well-formed AdmissionReview: ${where}`);
    must(isObject(answer) && answer.kind === 'Status' && answer.code === 400, `400 without a Status: ${where}`);
    must(typeof answer.message === 'string' && answer.message !== '', `400 without a message: ${where}`);
    return '400';
  }
  must(reply.status === 200, `neither 200 nor 400/413: ${where}`);
  must(review, `200 for a body that is not a well-formed AdmissionReview: ${where}`);
  must(isObject(answer), `200 without a JSON object: ${where}`);
  must(answer.apiVersion === 'admission.k8s.io/v1' && answer.kind === 'AdmissionReview', `not a v1 review: ${where}`);
  const response = answer.response;
  must(isObject(response), `no response: ${where}`);
  must(response.uid === review.request.uid, `response.uid differs from request.uid: ${where}`);
  must(typeof response.allowed === 'boolean', `allowed is not a boolean: ${where}`);
  must('patch' in response === 'patchType' in response, `patch and patchType must come together: ${where}`);
  checkWarnings(response.warnings, where);
  if (response.allowed === false) {
    const status = response.status as Obj | undefined;
    must(!('patch' in response), `a denial with a patch: ${where}`);
    must(status?.code === 403 && typeof status.message === 'string' && status.message !== '', `bad denial: ${where}`);
    return 'denied';
  }
  if (!('patch' in response)) return 'allowed';
  must(response.patchType === 'JSONPatch' && typeof response.patch === 'string', `bad patch fields: ${where}`);
  // A fresh parse of the bytes sent: the object the API server would patch.
  const object = (parse(text) as { request: Obj }).request.object;
  checkPatch(object, decodePatch(response.patch, where), where);
  return 'injected';
}

function checkWarnings(warnings: unknown, where: string): void {
  if (warnings === undefined) return;
  must(Array.isArray(warnings) && warnings.length > 0, `warnings must be a non-empty list when present: ${where}`);
  for (const w of warnings) {
    must(typeof w === 'string' && w.length <= MAX_WARNING_LENGTH, `a warning over ${MAX_WARNING_LENGTH}: ${where}`);
    // The API server sends each warning as an HTTP Warning header that kubectl prints.
    must(!CONTROL_CHARACTERS.test(w), `a warning with a control character: ${JSON.stringify(w)}; ${where}`);
  }
}

function decodePatch(patch: string, where: string): Operation[] {
  const operations = parse(Buffer.from(patch, 'base64').toString('utf8'));
  must(Array.isArray(operations) && operations.length > 0, `the patch is not a non-empty JSON list: ${where}`);
  must(
    operations.every((op) => isObject(op) && op.op === 'add' && typeof op.path === 'string'),
    `the patch has an operation other than add: ${where}`,
  );
  return operations as Operation[];
}

/** A shallow record of one app container: its own fields, arrays copied (their items kept by identity). */
type Snapshot = Array<[string, unknown]>;
const snapshotOf = (container: Obj): Snapshot =>
  Object.entries(container).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]);

/**
 * Applies the patch in place, as the API server would (strictly, with validation), and checks
 * that every app container is still where it was with every field it had: scalars equal,
 * objects the very same (never replaced), lists keeping their items in front.
 */
export function checkPatch(object: unknown, operations: Operation[], where: string): unknown {
  const spec = isObject(object) && isObject(object.spec) ? object.spec : undefined;
  const containers = Array.isArray(spec?.containers) ? [...(spec.containers as unknown[])] : [];
  const before = containers.map((c) => (isObject(c) ? snapshotOf(c) : undefined));
  let patched: unknown;
  try {
    patched = applyPatch(object, operations, true, true).newDocument;
  } catch (error) {
    throw new Violation(`the patch does not apply to request.object: ${(error as Error).message}; ${where}`);
  }
  const after = (patched as { spec: { containers: unknown[] } }).spec.containers;
  containers.forEach((container, i) => {
    must(after[i] === container, `app container ${i} was replaced or moved: ${where}`);
    for (const [key, value] of before[i] ?? []) {
      const now = (container as Obj)[key];
      if (Array.isArray(value)) {
        must(Array.isArray(now), `app container ${i} lost its list ${key}: ${where}`);
        must(
          value.every((item, j) => now[j] === item),
          `app container ${i} changed the items of ${key}: ${where}`,
        );
      } else if (value !== null) {
        // (A null field is no field: `add` may fill it, as the API server would decode it as unset.)
        must(Object.is(now, value), `app container ${i} changed its field ${key}: ${where}`);
      }
    }
  });
  return patched;
}
