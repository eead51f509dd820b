import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';

/** The repository root (this file is src/up/viewerBuild.ts). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The viewer's sources (src/viewer) and what they import from elsewhere in the repository. */
export const VIEWER_SOURCE_DIR = join(ROOT, 'src/viewer');
/** Where `simbridge up` serves the built viewer from (gitignored). */
export const VIEWER_DIST_DIR = join(ROOT, 'dist/viewer');
const STAMP_FILE = '.build-stamp.json';
/** Files outside src/viewer that the viewer bundles; a change to one rebuilds it too. */
const EXTRA_SOURCES = [join(ROOT, 'sim/scene/colors.ts'), join(ROOT, 'package-lock.json')];

export interface ViewerBuildResult {
  dir: string;
  /** False when an up-to-date build was already there. */
  built: boolean;
  /** Build time, s (0 when not built). */
  seconds: number;
}

/**
 * Makes sure dist/viewer holds a build of the current viewer sources, building it with Vite when
 * it is missing or older than its sources, so that `npx simbridge up` works on a fresh clone
 * with no build step. The build goes to a temporary folder that is then renamed into place, so
 * two `up` processes starting at once never serve a half-written build.
 */
export async function ensureViewerBuilt(
  options: { force?: boolean; log?: (line: string) => void } = {},
): Promise<ViewerBuildResult> {
  const dir = VIEWER_DIST_DIR;
  const stamp = sourceStamp();
  if (!options.force && readStamp(dir) === stamp) return { dir, built: false, seconds: 0 };
  options.log?.('building the viewer (once, into dist/viewer) ...');
  const start = performance.now();
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  let build: typeof import('vite').build;
  try {
    ({ build } = await import('vite'));
  } catch (err) {
    throw new UserError(
      `the viewer is not built (${dir}) and Vite, which builds it, is not installed: run \`npm install\` ` +
        'in the simbridge folder (with dev dependencies)',
      { cause: err },
    );
  }
  try {
    await build({
      configFile: join(VIEWER_SOURCE_DIR, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: tmp, emptyOutDir: true },
    });
    writeFileSync(join(tmp, STAMP_FILE), JSON.stringify({ stamp }));
    // Another `up` may have installed the same build meanwhile (and be serving it): keep that one.
    if (readStamp(dir) !== stamp) {
      rmSync(dir, { recursive: true, force: true });
      try {
        renameSync(tmp, dir);
      } catch (err) {
        if (readStamp(dir) !== stamp) throw err;
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { dir, built: true, seconds: (performance.now() - start) / 1000 };
}

/** The newest modification time of the viewer's sources, and how many files there are. */
function sourceStamp(): string {
  let newest = 0;
  let count = 0;
  const visit = (path: string) => {
    const s = statSync(path);
    if (s.isDirectory()) {
      for (const name of readdirSync(path)) if (!name.endsWith('.test.ts')) visit(join(path, name));
      return;
    }
    newest = Math.max(newest, s.mtimeMs);
    count++;
  };
  visit(VIEWER_SOURCE_DIR);
  for (const f of EXTRA_SOURCES) if (existsSync(f)) visit(f);
  return `${count}:${Math.round(newest)}`;
}

function readStamp(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(resolve(dir, STAMP_FILE), 'utf8')) as { stamp?: string }).stamp;
  } catch {
    return undefined;
  }
}
