import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The page's files: one HTML shell, one script, one style sheet, all served from this process. */
export interface Assets {
  readonly html: string;
  readonly js: string;
  readonly css: string;
}

const HERE = new URL('./app/', import.meta.url);

/** The script as `npm run build` bundled it beside the server, or bundled now from the TypeScript sources. */
export async function loadAssets(): Promise<Assets> {
  const built = fileURLToPath(new URL('app.js', HERE));
  const css = readFileSync(fileURLToPath(new URL('style.css', HERE)), 'utf8');
  const js = existsSync(built) ? readFileSync(built, 'utf8') : await bundleApp();
  return { html: HTML, js, css };
}

/**
 * Bundle console/app/main.ts with esbuild (a dependency of the package already): for the repository, where the
 * app runs from source. scripts/build.mjs calls the same with the sources' folder to write dist/console/app/app.js.
 */
export async function bundleApp(outfile?: string, sources = fileURLToPath(HERE)): Promise<string> {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [join(sources, 'main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    minify: outfile !== undefined,
    write: outfile !== undefined,
    outfile: outfile ?? 'app.js',
    logLevel: 'silent',
  });
  return outfile !== undefined ? readFileSync(outfile, 'utf8') : (out.outputFiles?.[0]?.text ?? '');
}

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>batchkeeper console</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header><a href="#/" class="brand">batchkeeper</a><nav id="nav"></nav><span id="target"></span></header>
<main id="view"><p class="muted">loading...</p></main>
<script type="module" src="/app.js"></script>
</body>
</html>
`;
