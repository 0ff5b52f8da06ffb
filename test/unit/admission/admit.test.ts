// Before templates have loaded once, a pod the webhook must decide on gets "not ready" (which the
// HTTP layer answers 503, so failurePolicy decides), never an answer from an empty catalog.
import { admit } from '../../../src/admission/admit';
import type { AdmissionDeps } from '../../../src/admission/decide';
import { nameOnlyNamespaceLabels } from '../../../src/sources/namespaceLabels';

const notLoaded: AdmissionDeps = {
  catalog: () => undefined,
  namespaceLabels: nameOnlyNamespaceLabels,
  nativeSidecars: () => true,
};
const review = (request: Record<string, unknown>) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid: 'u', operation: 'CREATE', namespace: 'shop', ...request },
});
const pod = { metadata: { name: 'web' }, spec: { containers: [{ name: 'app', image: 'app:1' }] } };

test('a pod CREATE before templates load is not ready, naming why', () => {
  const answer = admit(review({ kind: { group: '', version: 'v1', kind: 'Pod' }, object: pod }), notLoaded);
  expect(answer).toMatchObject({ kind: 'notReady', message: 'templates are not loaded yet' });
});

test('what is not ours is let through even before templates load', () => {
  const answer = admit(review({ kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'DELETE' }), notLoaded);
  expect(answer.kind).toBe('answered');
  expect(answer.kind === 'answered' && answer.result.outcome).toBe('passthrough');
});

test('a body that is no AdmissionReview is invalid whatever the readiness', () => {
  expect(admit({ kind: 'Pod' }, notLoaded).kind).toBe('invalid');
});
