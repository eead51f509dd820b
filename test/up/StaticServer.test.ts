import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StaticServer, startStaticServer } from '../../src/up/StaticServer.ts';

const SECRET = 'secret-outside-the-root';
let dir: string;
let server: StaticServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'simbridge-static-'));
  const root = join(dir, 'www');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(root, 'assets', 'app-1234.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  writeFileSync(join(dir, 'www-evil.txt'), SECRET); // a sibling whose name starts like the root
  server = await startStaticServer({ root, port: 0, json: { '/config.json': () => ({ answer: 42 }) } });
});

afterAll(async () => {
  await server.close();
});

/** A raw request, so that the path reaches the server exactly as written (fetch normalises it). */
function get(path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the static server for the viewer', () => {
  it('serves index.html for / and files with their content types', async () => {
    expect(await get('/')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    const js = await get('/assets/app-1234.js');
    expect(js).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8', body: 'console.log(1)' });
    expect(await get('/config.json')).toMatchObject({ status: 200, body: '{"answer":42}' });
    expect(await get('/missing.js')).toMatchObject({ status: 404 });
    expect(await get('/', 'POST')).toMatchObject({ status: 405 });
  });

  it('never serves a file outside its root, however the path is spelled', async () => {
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/..%5csecret.txt',
      '/../www-evil.txt',
      '/%00',
      '/%E0%A4%A',
    ]) {
      const r = await get(path);
      expect([400, 404], path).toContain(r.status);
      expect(r.body).not.toContain(SECRET);
    }
  });

  it('answers random and mutated paths with 200, 400 or 404 and stays up (fuzz)', async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        '..',
        '.',
        '%2e%2e',
        '%2f',
        '%5c',
        '%00',
        'assets',
        'index.html',
        'secret.txt',
        '%',
        '%zz',
      ),
      fc.string({ maxLength: 6 }).map(encodeURIComponent),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { maxLength: 6 }), async (segments) => {
        const r = await get(`/${segments.join('/')}`);
        expect([200, 400, 404]).toContain(r.status);
        expect(r.body).not.toContain(SECRET);
      }),
      { numRuns: 300 },
    );
    expect((await get('/')).status).toBe(200);
  });

  it('leaves no port open after close, and close is safe twice', async () => {
    const s = await startStaticServer({ root: dir, port: 0 });
    await s.close();
    await s.close();
    await expect(
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: s.port, path: '/' }, resolve);
        req.on('error', reject);
        req.end();
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
