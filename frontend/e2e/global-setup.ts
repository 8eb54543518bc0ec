import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const backend = join(root, 'backend', '.venv', 'bin', 'contactcenter');
const dist = join(root, 'frontend', 'dist');

const freePort = () =>
  new Promise<number>((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });

async function waitFor(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs: number,
  log: string[],
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the backend did not get ${what} in ${timeoutMs / 1000} s:\n${log.join('')}`);
}

/** Start the real product (embedded Postgres, Qdrant Edge, offline models) for the journeys. */
export default async function globalSetup() {
  if (!existsSync(backend)) throw new Error(`no backend at ${backend}: run make install first`);
  if (!existsSync(join(dist, 'app.html')) || !existsSync(join(dist, 'widget.js'))) {
    throw new Error('no frontend build in frontend/dist: run npm run build (make web) first');
  }
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'cc-e2e-'));
  const password = randomBytes(12).toString('base64url');
  const base = `http://127.0.0.1:${port}`;
  const log: string[] = [];
  const server: ChildProcess = spawn(backend, ['serve'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      WEB_DIR: dist,
      DEMO_PASSWORD: password,
      LOG_LEVEL: 'WARNING',
      RATELIMIT_ENABLED: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  server.stdout?.on('data', (chunk) => log.push(String(chunk)));
  server.stderr?.on('data', (chunk) => log.push(String(chunk)));

  const stop = async () => {
    if (server.exitCode === null && server.pid !== undefined) {
      process.kill(-server.pid, 'SIGTERM');
      await new Promise((r) => server.once('exit', r).once('error', r));
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => (await fetch(`${base}/ready`)).ok, 'ready', 120_000, log);
    // the demo knowledge base is indexed in the background: wait until it can answer
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'agent@demo.example', password }),
    });
    const { access_token: token } = (await login.json()) as { access_token: string };
    await waitFor(
      async () => {
        const response = await fetch(`${base}/api/v1/knowledge/documents?limit=100`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const page = (await response.json()) as { items: { status: string }[] };
        return page.items.length > 0 && page.items.every((d) => d.status === 'indexed');
      },
      'the demo knowledge base indexed',
      180_000,
      log,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  process.env.E2E_BASE_URL = base;
  process.env.E2E_PASSWORD = password;
  return stop;
}
