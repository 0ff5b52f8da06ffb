// When a rollout counts as complete, as `kubectl rollout status` counts it.
import { rolloutStatus } from '../../../src/drift/rolloutStatus';

const at = (generation: number, observedGeneration: number) => ({ generation, observedGeneration });

test('a change the controller has not observed yet is in progress, whatever the counts say', () => {
  const { generation, observedGeneration } = at(3, 2);
  const deployment = {
    metadata: { generation },
    spec: { replicas: 1 },
    status: { observedGeneration, updatedReplicas: 1, replicas: 1, availableReplicas: 1 },
  };
  expect(rolloutStatus('Deployment', deployment).phase).toBe('progressing');
});

test.each([
  [{ replicas: 3, updatedReplicas: 2, availableReplicas: 2 }, 'progressing', '2 of 3 new replicas updated'],
  [{ replicas: 4, updatedReplicas: 3, availableReplicas: 3 }, 'progressing', '1 old replicas pending termination'],
  [{ replicas: 3, updatedReplicas: 3, availableReplicas: 2 }, 'progressing', '2 of 3 updated replicas available'],
  [{ replicas: 3, updatedReplicas: 3, availableReplicas: 3 }, 'done', undefined],
])('Deployment of 3 with status %j: %s', (status, phase, message) => {
  const result = rolloutStatus('Deployment', {
    metadata: { generation: 2 },
    spec: { replicas: 3 },
    status: { observedGeneration: 2, ...status },
  });
  expect(result).toEqual(message ? { phase, message } : { phase });
});

test.each([
  [{}, { readyReplicas: 2, updateRevision: 'b', currentRevision: 'a' }, 'progressing'],
  [{}, { readyReplicas: 3, updateRevision: 'b', currentRevision: 'a' }, 'progressing'],
  [{}, { readyReplicas: 3, updateRevision: 'b', currentRevision: 'b' }, 'done'],
  [
    { updateStrategy: { rollingUpdate: { partition: 2 } } },
    { readyReplicas: 3, updatedReplicas: 1, updateRevision: 'b', currentRevision: 'a' },
    'done',
  ],
  [
    { updateStrategy: { rollingUpdate: { partition: 1 } } },
    { readyReplicas: 3, updatedReplicas: 1, updateRevision: 'b', currentRevision: 'a' },
    'progressing',
  ],
])('StatefulSet of 3, spec %j, status %j: %s', (spec, status, phase) => {
  const object = {
    metadata: { generation: 1 },
    spec: { replicas: 3, ...spec },
    status: { observedGeneration: 1, ...status },
  };
  expect(rolloutStatus('StatefulSet', object).phase).toBe(phase);
});

test.each([
  [{ desiredNumberScheduled: 3, updatedNumberScheduled: 2, numberAvailable: 3 }, 'progressing'],
  [{ desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2 }, 'progressing'],
  [{ desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 }, 'done'],
])('DaemonSet with status %j: %s', (status, phase) => {
  expect(
    rolloutStatus('DaemonSet', { metadata: { generation: 1 }, status: { observedGeneration: 1, ...status } }).phase,
  ).toBe(phase);
});
