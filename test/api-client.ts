/** The API as a test calls it: one JSON request, and users registered and signed in. */
import { randomBytes } from 'node:crypto';
import { sleep } from './polling';

// test helper: bodies are asserted on, not trusted, so an untyped default keeps the tests short
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface JsonResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** One HTTP call with a JSON body (if any); the response body is parsed when it is JSON, else the text. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function json<T = any>(
  url: string,
  opts: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(url, {
    method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  if (/json/.test(res.headers.get('content-type') ?? '') && text) body = JSON.parse(text);
  return { status: res.status, body: body as T, headers: res.headers };
}

export interface User {
  userId: string;
  email: string;
  password: string;
  token: string;
}

/** POST /auth/register; returns the userId. */
export async function register(baseUrl: string, user: { email: string; password: string; name?: string }): Promise<string> {
  const res = await json<{ userId: string }>(`${baseUrl}/auth/register`, {
    body: { email: user.email, password: user.password, name: user.name ?? user.email.split('@')[0] },
  });
  if (res.status !== 201) throw new Error(`register ${user.email}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.userId;
}

/** POST /auth/login; returns the Bearer token. */
export async function login(baseUrl: string, email: string, password: string): Promise<string> {
  let res = await json<{ accessToken: string }>(`${baseUrl}/auth/login`, { body: { email, password } });
  // the API limits sign-ins per IP (all of a test's users share 127.0.0.1): wait as told, a few times
  for (let i = 0; i < 3 && res.status === 429; i++) {
    await sleep(1000 * Number(res.headers.get('retry-after') ?? '5'));
    res = await json<{ accessToken: string }>(`${baseUrl}/auth/login`, { body: { email, password } });
  }
  if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.accessToken;
}

/** A new user with a random email, registered and signed in. */
export async function signUp(baseUrl: string, name = 'user'): Promise<User> {
  const email = `${name}-${randomBytes(6).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const userId = await register(baseUrl, { email, password, name });
  return { userId, email, password, token: await login(baseUrl, email, password) };
}
