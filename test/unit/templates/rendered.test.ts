import type { RenderedTemplate } from '../../../src/templates/rendered';
import { compiled, template } from '../../support/templates';

const withParameter = compiled(
  template('t', {
    parameters: [
      { name: 'port', type: 'integer', default: 8080 },
      { name: 'path', default: '/data' },
    ],
    containers: [{ name: 't', image: 'x:1', args: ['--port=${params.port}', '${params.path}'] }],
  }),
);

const values = (port: number | string, path: string) =>
  new Map<string, string | number | boolean>([
    ['port', port],
    ['path', path],
  ]);

const argsOf = (r: RenderedTemplate) => (r.spec.containers?.[0] as { args?: string[] } | undefined)?.args;

test('the same values give the same frozen rendering; other values another', () => {
  const first = withParameter.renderings.of(values(8080, '/data'));
  expect(withParameter.renderings.of(values(8080, '/data'))).toBe(first);
  expect(Object.isFrozen(argsOf(first))).toBe(true);
  expect(argsOf(first)).toEqual(['--port=8080', '/data']);
  expect(argsOf(withParameter.renderings.of(values(9090, '/data')))).toEqual(['--port=9090', '/data']);
});

test('values that would read alike as one string never share a rendering', () => {
  const a = withParameter.renderings.of(values(1, '2/x'));
  const b = withParameter.renderings.of(values('12', '/x'));
  const c = withParameter.renderings.of(values('1', '2/x'));
  expect(new Set([a, b, c]).size).toBe(3);
  expect(a.hash).not.toBe(b.hash);
});
