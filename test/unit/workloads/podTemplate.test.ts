import { locatePodTemplate, UnsupportedWorkload } from '../../../src/workloads/podTemplate';

const podSpec = { containers: [{ name: 'app', image: 'busybox:1.37' }] };
const template = { metadata: { labels: { app: 'x' } }, spec: podSpec };

describe('locatePodTemplate', () => {
  it.each([
    ['apps/v1', 'Deployment', { template }, '/spec/template'],
    ['apps/v1', 'StatefulSet', { template }, '/spec/template'],
    ['apps/v1', 'DaemonSet', { template }, '/spec/template'],
    ['apps/v1', 'ReplicaSet', { template }, '/spec/template'],
    ['batch/v1', 'Job', { template }, '/spec/template'],
    ['batch/v1', 'CronJob', { jobTemplate: { spec: { template } } }, '/spec/jobTemplate/spec/template'],
    ['v1', 'ReplicationController', { template }, '/spec/template'],
    ['argoproj.io/v1alpha1', 'Rollout', { template }, '/spec/template'],
  ])('finds the pod template of a %s %s at its pointer', (apiVersion, kind, spec, pointer) => {
    const location = locatePodTemplate({ apiVersion, kind, metadata: { name: 'w' }, spec });
    expect(location.pointer).toBe(pointer);
    expect(location.kind).toBe(kind);
    expect(location.label).toBe(`${kind} w`);
    expect(location.pod).toEqual({ apiVersion: 'v1', kind: 'Pod', ...template });
    // The same objects, so a patch against the view addresses the document's fields.
    expect(location.pod.spec).toBe(template.spec);
  });

  it('uses a Pod as it is', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'p-' }, spec: podSpec };
    const location = locatePodTemplate(pod);
    expect(location.pointer).toBe('');
    expect(location.pod).toBe(pod);
    expect(location.label).toBe('Pod p-');
  });

  it('leaves absent metadata absent, so the patch adds it whole', () => {
    const location = locatePodTemplate({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      spec: { template: { spec: podSpec } },
    });
    expect(location.pod).toEqual({ apiVersion: 'v1', kind: 'Pod', spec: podSpec });
  });

  it.each([
    [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } },
      /Service s: kind "Service" has no pod template; supported kinds: Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, ReplicationController, Rollout/,
    ],
    [{ apiVersion: 'v1' }, /kind \(missing\) has no pod template/],
    [
      { apiVersion: 'extensions/v1beta1', kind: 'Deployment', metadata: { name: 'old' }, spec: { template } },
      /Deployment old: apiVersion "extensions\/v1beta1" is not supported for Deployment; use apps\/v1/,
    ],
    [
      { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: { jobTemplate: {} } },
      /CronJob c: spec\.jobTemplate\.spec is missing or not an object/,
    ],
    [
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: [] } },
      /spec\.template is missing or not an object/,
    ],
    ['text', /not an object/],
  ])('explains what is wrong with %j', (document, message) => {
    expect(() => locatePodTemplate(document)).toThrow(UnsupportedWorkload);
    expect(() => locatePodTemplate(document)).toThrow(message);
  });
});
