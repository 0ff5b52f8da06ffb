// The API server passes warnings to kubectl as Warning headers; keep each short.
export const MAX_WARNING_LENGTH = 120;

// Line breaks and other control characters become spaces: a warning travels as an HTTP header
// and kubectl prints it, and a pod's annotation keys can carry terminal escapes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what it removes
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]+/g;

export function warning(text: string): string {
  const oneLine = text.replace(CONTROL_CHARACTERS, ' ');
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
