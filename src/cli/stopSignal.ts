// SIGTERM and SIGINT as a promise, for `serve`'s drain.

/** Resolves on the first SIGTERM or SIGINT; a second one is left to Node (immediate exit). */
export function waitForStopSignal(): { signal: Promise<NodeJS.Signals>; cancel(): void } {
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  let handler: (signal: NodeJS.Signals) => void = () => {};
  const cancel = () => {
    for (const s of signals) process.off(s, handler);
  };
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    handler = (received) => {
      cancel();
      resolve(received);
    };
  });
  for (const s of signals) process.on(s, handler);
  return { signal, cancel };
}
