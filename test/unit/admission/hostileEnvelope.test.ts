// Envelope fields are unchecked JSON: whatever they hold, admit() answers with a value and never
// throws (fuzzing found a 500 for an object without a usable toString in request.kind, and a
// stack overflow for a deeply nested apiVersion or kind).
import { admit } from '../../../src/admission/admit';
import type { AdmissionDeps } from '../../../src/admission/decide';
import { nameOnlyNamespaceLabels } from '../../../src/sources/namespaceLabels';
import { EMPTY_SNAPSHOT } from '../../../src/templates/catalog';

const deps: AdmissionDeps = {
  catalog: () => EMPTY_SNAPSHOT,
  namespaceLabels: nameOnlyNamespaceLabels,
  nativeSidecars: () => true,
};
const deep = JSON.parse(`${'['.repeat(10_000)}1${']'.repeat(10_000)}`);
const noToString = JSON.parse('{"toString": 1, "valueOf": 1}');
const envelope = (request: Record<string, unknown>, top: Record<string, unknown> = {}) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid: 'u', operation: 'CREATE', ...request },
  ...top,
});

test.each([
  ['kind.group without toString', { kind: { group: noToString, version: 'v1', kind: 'Pod' } }],
  ['kind.kind nested deeply', { kind: { group: '', version: 'v1', kind: deep } }],
  [
    'resource.resource without toString',
    { kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: 'x', resource: noToString } },
  ],
])('a request whose %s is let through as not ours', (_name, request) => {
  const answer = admit(envelope(request), deps);
  expect(answer.kind === 'answered' && answer.result.outcome).toBe('passthrough');
  expect(answer.kind === 'answered' && answer.review.response).toEqual({ uid: 'u', allowed: true });
});

test.each([
  ['apiVersion nested deeply', { apiVersion: deep }, /got a list and "AdmissionReview"/],
  ['kind without toString', { kind: noToString }, /got "admission.k8s.io\/v1" and an object/],
  ['a 1 MB apiVersion', { apiVersion: 'v'.repeat(1 << 20) }, /got "v{100}"\.\.\. and/],
])('an envelope whose %s is refused with a short message', (_name, top, message) => {
  const answer = admit(envelope({}, top), deps);
  expect(answer.kind).toBe('invalid');
  if (answer.kind !== 'invalid') return;
  expect(answer.message).toMatch(message);
  expect(answer.message.length).toBeLessThan(300);
});
