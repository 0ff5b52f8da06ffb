// Values shared between requests (rendered templates) are deep-frozen and carry their own JSON
// text, under a symbol that JSON.stringify, structuredClone and YAML writers never see. A patch
// serializer then writes such a value from that text instead of serializing the same container
// again for every pod. The text lives and dies with the value it describes: no global table.
const JSON_TEXT = Symbol('sidecar-injector.jsonText');

/** Deep-freezes `value`, giving each of its objects and arrays its JSON text; returns it. */
export function freezeWithJson<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  for (const item of Object.values(value)) freezeWithJson(item);
  Object.defineProperty(value, JSON_TEXT, { value: JSON.stringify(value), enumerable: false });
  return Object.freeze(value);
}

/** The JSON text `freezeWithJson` gave this object, or undefined. */
export function jsonTextOf(value: object): string | undefined {
  return (value as { [JSON_TEXT]?: string })[JSON_TEXT];
}
