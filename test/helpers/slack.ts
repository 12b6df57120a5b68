// A local HTTP server that speaks the part of Slack's Web API the project uses
// (chat.postMessage), for the real @slack/web-api client to talk to. It records every call and
// can answer like Slack does when things go wrong.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebClient } from '@slack/web-api';

export type SlackMode = 'ok' | 'invalid_auth' | 'server_error' | 'rate_limited';

export interface RecordedCall {
  method: string;
  token: string | undefined;
  body: Record<string, unknown>;
}

export async function startFakeSlack() {
  const calls: RecordedCall[] = [];
  let mode: SlackMode = 'ok';
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString();
      const body: Record<string, unknown> = (req.headers['content-type'] ?? '').includes('json')
        ? (JSON.parse(raw || '{}') as Record<string, unknown>)
        : Object.fromEntries(new URLSearchParams(raw));
      for (const key of ['blocks', 'attachments']) {
        if (typeof body[key] === 'string') body[key] = JSON.parse(body[key]);
      }
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0]!;
      calls.push({ method, token: req.headers.authorization?.replace(/^Bearer /, ''), body });
      res.setHeader('content-type', 'application/json');
      if (mode === 'server_error') {
        res.statusCode = 500;
        res.end('{"ok":false,"error":"internal_error"}');
      } else if (mode === 'rate_limited') {
        res.statusCode = 429;
        res.setHeader('retry-after', '30');
        res.end('{"ok":false,"error":"ratelimited"}');
      } else if (mode === 'invalid_auth') {
        res.end('{"ok":false,"error":"invalid_auth"}');
      } else {
        res.end(JSON.stringify({ ok: true, channel: body.channel, ts: `${Date.now() / 1000}` }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
  return {
    url,
    calls,
    messages: () => calls.filter((c) => c.method === 'chat.postMessage'),
    setMode: (m: SlackMode) => {
      mode = m;
    },
    /** The real client, as the worker builds it, pointed at this server. */
    client: (token = 'xoxb-test-token') =>
      new WebClient(token, {
        slackApiUrl: url,
        retryConfig: { retries: 1, factor: 1, minTimeout: 50, maxTimeout: 100 },
        rejectRateLimitedCalls: true,
        timeout: 5_000,
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
