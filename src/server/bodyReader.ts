// The body of POST /mutate, read as bytes up to --body-limit. A body over the limit is still read
// to its end, and thrown away, before the 413 is sent: a server that answers and closes while
// the client is still sending leaves unread bytes in its socket, the kernel then resets the
// connection, and the client (Go's net/http in the API server, Node's https) gets
// `write: broken pipe` or ECONNRESET instead of the answer. HTTP servers drain so, up to a
// bound; past it the 413 is sent at once and the connection closed.
import type { IncomingMessage } from 'node:http';
import { errorCodes, type FastifyRequest } from 'fastify';

/** How much past --body-limit is read and thrown away before answering 413 anyway. */
export const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

type Done = (error: Error | null, body?: Buffer) => void;

/** A fastify content-type parser (for every content type) that reads the body as a Buffer. */
export function bodyReader(limit: number, drainLimit = DRAIN_LIMIT_BYTES) {
  return (_request: FastifyRequest, payload: IncomingMessage, done: Done): void => {
    const chunks: Buffer[] = [];
    let received = 0;
    let finished = false;
    const finish = (error: Error | null, body?: Buffer) => {
      if (finished) return;
      finished = true;
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onError);
      done(error, body);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received <= limit) chunks.push(chunk);
      else if (received > limit + drainLimit) finish(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      // Between the two: the body is too large; keep reading, keep nothing.
      else chunks.length = 0;
    };
    const onEnd = () => {
      if (received > limit) return finish(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      const declared = Number(payload.headers['content-length']);
      if (!Number.isNaN(declared) && declared !== received)
        return finish(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
      finish(null, Buffer.concat(chunks, received));
    };
    const onError = (error: Error) => {
      (error as { statusCode?: number }).statusCode ??= 400;
      finish(error);
    };
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
    payload.resume();
  };
}
