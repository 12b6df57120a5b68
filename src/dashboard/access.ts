// Who may read the dashboard. With ROAS_DASHBOARD_TOKEN set, every client must present it (an
// `Authorization: Bearer` header, or the cookie the page sets after one visit to /?token=…);
// without a token, only clients on this machine (a loopback address) are served. The address is
// the TCP peer's, never a header a client could write (X-Forwarded-For is ignored: behind a
// reverse proxy every client looks local, so set a token there).
import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';

export const TOKEN_COOKIE = 'roas_dashboard_token';

export type AccessDecision = { ok: true } | { ok: false; status: 401 | 403; message: string };

/** 127.0.0.0/8, ::1, and IPv4 loopback written as an IPv6-mapped address. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/** Compares in constant time (digests of equal length), so the answer's timing tells nothing of the token. */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token a request carries: its Authorization header, else the dashboard's cookie. */
export function presentedToken(req: Pick<http.IncomingMessage, 'headers'>): string | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

export function decideAccess(req: Pick<http.IncomingMessage, 'headers' | 'socket'>, token: string | undefined): AccessDecision {
  if (token) {
    if (tokenMatches(presentedToken(req), token)) return { ok: true };
    return {
      ok: false,
      status: 401,
      message:
        'This dashboard asks for its token (ROAS_DASHBOARD_TOKEN): open /?token=<the token> once (the page then keeps it in a cookie), or send Authorization: Bearer <the token>.',
    };
  }
  if (isLoopback(req.socket.remoteAddress)) return { ok: true };
  return {
    ok: false,
    status: 403,
    message: `The dashboard answers only clients on the worker's own machine (loopback) while no token is set; this request came from ${req.socket.remoteAddress ?? 'an unknown address'}. To open it from elsewhere, set ROAS_DASHBOARD_TOKEN on the worker and send the token.`,
  };
}
