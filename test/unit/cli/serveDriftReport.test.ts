// serve's --drift-report flag: off by default, from the environment too, and only with the API.
import { parseFlags, UsageError } from '../../../src/cli/flags';
import { SERVE_FLAGS, serveOptions } from '../../../src/cli/serveFlags';

const options = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
  serveOptions(parseFlags(SERVE_FLAGS, argv, env).values, env);

test('the drift report is off unless asked for, by flag or by SIDECAR_INJECTOR_DRIFT_REPORT', () => {
  expect(options([]).driftReport).toBe(false);
  expect(options(['--drift-report', 'on']).driftReport).toBe(true);
  expect(options([], { SIDECAR_INJECTOR_DRIFT_REPORT: 'on' }).driftReport).toBe(true);
  expect(() => options(['--drift-report', 'yes'])).toThrow(/--drift-report: "yes" is not one of on, off/);
});

test('it watches pods through the API, so it does not go with --kubernetes off', () => {
  expect(() => options(['--drift-report', 'on', '--kubernetes', 'off'])).toThrow(UsageError);
  expect(() => options(['--drift-report', 'on', '--kubernetes', 'off'])).toThrow(
    '--drift-report on watches pods through the Kubernetes API: not with --kubernetes off',
  );
});
