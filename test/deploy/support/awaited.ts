// What the chart and the dashboard take from a branch that has not landed here yet: issue 12's
// `serve --drift-report on|off` and its gauge sidecar_injector_pods{template,state} (CONTRACT.md
// section 7). The chart passes the flag and the dashboard and alerts read the gauge as the
// contract names them. Until serve has the flag, the checks that run serve's flag parser and
// scrape a running webhook leave exactly these out; a tripwire test fails the day serve has it,
// so that this file is deleted and the checks cover them too.
import { SERVE_FLAGS } from '../../../src/cli/serveFlags';

export const AWAITED_FLAG = 'drift-report';
export const AWAITED_METRIC = 'sidecar_injector_pods';

/** Whether serve still lacks the flag (the tripwire asserts this stays true until removed). */
export const awaitingDriftReport = (): boolean => !SERVE_FLAGS.some((flag) => flag.name === AWAITED_FLAG);
