// HTTP failures of the webhook, answered as a Kubernetes `Status` so the API server (and so
// `kubectl`) shows the message. 4xx: the caller sent something wrong; 5xx: ours, and
// `failurePolicy` decides.

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  404: 'NotFound',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

export function failureStatus(code: number, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: REASONS[code], code };
}

/** The status and message for an error thrown while handling a request. */
export function httpStatusOf(error: unknown, bodyLimit: number): { status: number; message: string } {
  const e = error as { code?: unknown; statusCode?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(error);
  if (e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return { status: 413, message: `the request body is larger than ${bodyLimit} bytes (--body-limit)` };
  // fastify's own errors (a body cut short, a bad Content-Length) carry a 4xx status code.
  if (
    typeof e?.code === 'string' &&
    e.code.startsWith('FST_') &&
    typeof e.statusCode === 'number' &&
    e.statusCode < 500
  )
    return { status: e.statusCode, message };
  return { status: 500, message: `internal error: ${message}` };
}
