// The API server passes warnings to kubectl as Warning headers; keep each short.
export const MAX_WARNING_LENGTH = 120;

export function warning(text: string): string {
  const oneLine = text.replace(/[\r\n\t]+/g, ' ');
  return oneLine.length <= MAX_WARNING_LENGTH ? oneLine : `${oneLine.slice(0, MAX_WARNING_LENGTH - 3)}...`;
}

/** A user-supplied string, quoted and cut short, for use inside a message. */
export function quote(text: string, max = 40): string {
  const quoted = JSON.stringify(text);
  return quoted.length <= max ? quoted : `${quoted.slice(0, max - 4)}..."`;
}

/** Names joined for a message, cut after a few. */
export function nameList(names: readonly string[], max = 8): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown}, ... (${names.length} in all)` : shown;
}
