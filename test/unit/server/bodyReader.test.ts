import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { bodyReader } from '../../../src/server/bodyReader';

/** Feeds `chunks` to the reader as a request body; resolves with what it answered and how much it read. */
function read(chunks: Buffer[], options: { limit: number; drain: number; contentLength?: number; abort?: boolean }) {
  const payload = Object.assign(new PassThrough(), {
    headers: options.contentLength === undefined ? {} : { 'content-length': String(options.contentLength) },
  });
  let consumed = 0;
  payload.on('data', (c: Buffer) => {
    consumed += c.length;
  });
  return new Promise<{
    error: (Error & { code?: string; statusCode?: number }) | null;
    body?: Buffer;
    consumed: () => number;
  }>((resolve) => {
    bodyReader(options.limit, options.drain)(
      {} as FastifyRequest,
      payload as unknown as IncomingMessage,
      (error, body) => resolve({ error, ...(body ? { body } : {}), consumed: () => consumed }),
    );
    for (const chunk of chunks) payload.write(chunk);
    if (options.abort) payload.destroy(new Error('aborted'));
    else payload.end();
  });
}

const bytes = (n: number) => Buffer.alloc(n, 'x');

test('a body within the limit is read whole', async () => {
  const answer = await read([bytes(10), bytes(6)], { limit: 16, drain: 100, contentLength: 16 });
  expect(answer.error).toBeNull();
  expect(answer.body?.length).toBe(16);
});

test('a body over the limit is read to its end before the 413, so the client can read the answer', async () => {
  const answer = await read([bytes(10), bytes(10), bytes(50)], { limit: 16, drain: 100, contentLength: 70 });
  expect(answer.error?.code).toBe('FST_ERR_CTP_BODY_TOO_LARGE');
  expect(answer.consumed()).toBe(70);
});

test('past the drain bound it answers 413 at once, without reading the rest', async () => {
  const answer = await read([bytes(10), bytes(10), bytes(200), bytes(5000)], { limit: 16, drain: 100 });
  expect(answer.error?.code).toBe('FST_ERR_CTP_BODY_TOO_LARGE');
});

test('a body shorter or longer than its Content-Length is a 400', async () => {
  const answer = await read([bytes(10)], { limit: 16, drain: 100, contentLength: 12 });
  expect(answer.error?.code).toBe('FST_ERR_CTP_INVALID_CONTENT_LENGTH');
  expect(answer.error?.statusCode).toBe(400);
});

test('a client that goes away mid-body ends the read with a 400', async () => {
  const answer = await read([bytes(10)], { limit: 16, drain: 100, abort: true });
  expect(answer.error?.message).toBe('aborted');
  expect(answer.error?.statusCode).toBe(400);
});
