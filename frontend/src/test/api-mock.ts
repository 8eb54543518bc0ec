import { vi } from 'vitest';

type Json = unknown;
export interface MockRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Json;
  headers: Headers;
}
type Reply = Json | { status: number; body?: Json; headers?: Record<string, string> };
type Handler = (request: MockRequest) => Reply | Promise<Reply>;

/** `reply(409, problem)`: a response with a status (plain values answer 200). */
export const reply = (status: number, body?: Json, headers?: Record<string, string>) => ({
  __reply: true as const,
  status,
  body,
  headers,
});

/**
 * Fake the backend at the fetch interface: routes are "METHOD /api/v1/drafts/{id}" patterns.
 * Returns the log of calls; unknown routes answer 404 problem details (and are logged).
 */
export function mockApi(routes: Record<string, Handler | Reply>) {
  const calls: MockRequest[] = [];
  const table = Object.entries(routes).map(([key, handler]) => {
    const [method, pattern] = key.split(' ');
    const names: string[] = [];
    const regex = new RegExp(
      `^${pattern.replace(/\{(\w+)\}/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+)';
      })}$`,
    );
    return { method, regex, names, handler };
  });
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    const text = request.method === 'GET' ? '' : await request.text();
    let body: Json = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    for (const route of table) {
      const match = route.method === request.method && route.regex.exec(url.pathname);
      if (!match) continue;
      const params = Object.fromEntries(route.names.map((n, i) => [n, match[i + 1]]));
      const call = {
        method: request.method,
        path: url.pathname,
        params,
        query: url.searchParams,
        body,
        headers: request.headers,
      };
      calls.push(call);
      const result =
        typeof route.handler === 'function'
          ? await (route.handler as Handler)(call)
          : route.handler;
      if (result && typeof result === 'object' && '__reply' in result) {
        const r = result as ReturnType<typeof reply>;
        const isProblem = r.status >= 400;
        return new Response(r.status === 204 ? null : JSON.stringify(r.body ?? null), {
          status: r.status,
          headers: {
            'content-type': isProblem ? 'application/problem+json' : 'application/json',
            ...r.headers,
          },
        });
      }
      return new Response(JSON.stringify(result), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    }
    calls.push({
      method: request.method,
      path: url.pathname,
      params: {},
      query: url.searchParams,
      body,
      headers: request.headers,
    });
    return new Response(
      JSON.stringify({
        code: 'not_found',
        detail: `no mock for ${request.method} ${url.pathname}`,
      }),
      { status: 404, headers: { 'content-type': 'application/problem+json' } },
    );
  });
  vi.stubGlobal('fetch', fetchMock);
  return { calls, fetchMock };
}
