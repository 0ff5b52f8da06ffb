// JSON Pointer (RFC 6901) escaping: `~` first, then `/`.
export function escapePointerSegment(segment: string | number): string {
  const text = String(segment);
  // Most segments need no escaping; skipping the two replaces matters on the request path.
  return text.includes('~') || text.includes('/') ? text.replace(/~/g, '~0').replace(/\//g, '~1') : text;
}

export function pointerOf(segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${escapePointerSegment(s)}`).join('');
}
