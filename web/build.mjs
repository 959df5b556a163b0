// Builds the web root the server serves: bundles the pages' scripts with esbuild and copies the
// pages and style sheets, into the folder given with --out (make puts it at build/web).
//
//   node web/build.mjs --out build/web [--dev]
//
// Scripts and style sheets get a content hash in their names (/assets/agent-3f2a9c1e.js) and the
// pages are rewritten to point at them, so a browser never mixes a new page with an old script:
// assets are cached for an hour, pages are revalidated every time. /widget.js, the one address
// other sites embed, keeps its name. The bundle is built, never committed.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const webDir = dirname(fileURLToPath(import.meta.url));

// Page scripts: source entry -> asset name (before hashing).
const PAGE_SCRIPTS = {
  'js/widget/main.js': 'widget-app.js',
  'js/agent/main.js': 'agent.js',
  'js/admin/main.js': 'admin.js',
};
// Scripts whose address is fixed, outside /assets.
const FIXED_SCRIPTS = {
  'js/embed/loader.js': 'widget.js',                  // the embed snippet's <script src>
  'js/vendor/sockjs-global.js': 'vendor/sockjs.min.js',  // SockJS iframe transports load it by name
};

function parseArguments(argv) {
  const options = { out: null, dev: false };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--out') options.out = argv[++i];
    else if (argv[i] === '--dev') options.dev = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!options.out) throw new Error('usage: node web/build.mjs --out <folder> [--dev]');
  return options;
}

function shortHash(bytes) {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 10);
}

function hashedName(name, bytes) {
  const dot = name.lastIndexOf('.');
  return `${name.slice(0, dot)}-${shortHash(bytes)}${name.slice(dot)}`;
}

async function bundle(entry, dev) {
  const result = await esbuild.build({
    entryPoints: [join(webDir, entry)],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['chrome100', 'firefox100', 'safari15'],
    minify: !dev,
    sourcemap: dev ? 'inline' : false,
    legalComments: 'none',
    logLevel: 'warning',
    // sockjs-client reads process.env.NODE_ENV and `global` like a Node module.
    define: { 'process.env.NODE_ENV': dev ? '"development"' : '"production"', global: 'globalThis' },
  });
  return result.outputFiles[0].contents;
}

async function listFiles(dir, filter) {
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await listFiles(path, filter)));
    else if (filter(path)) found.push(path);
  }
  return found;
}

// The output folder is replaced whole: it must not be (or hold) the sources.
function checkOutput(out) {
  const target = resolve(out);
  const repo = resolve(webDir, '..');
  if (target === repo || webDir === target || webDir.startsWith(target + sep) || target.startsWith(webDir + sep)) {
    throw new Error(`--out ${out} would overwrite the sources; use a build folder such as build/web`);
  }
  return target;
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const { dev } = options;
  const target = checkOutput(options.out);
  // Built beside the target, then swapped in: a running server never sees half a web root.
  const out = `${target}.building-${process.pid}`;
  await rm(out, { recursive: true, force: true });
  await mkdir(join(out, 'assets'), { recursive: true });
  await mkdir(join(out, 'vendor'), { recursive: true });

  // Asset address as written in the pages -> hashed address.
  const renamed = new Map();
  for (const [entry, name] of Object.entries(PAGE_SCRIPTS)) {
    const bytes = await bundle(entry, dev);
    const hashed = hashedName(name, bytes);
    await writeFile(join(out, 'assets', hashed), bytes);
    renamed.set(`/assets/${name}`, `/assets/${hashed}`);
  }
  for (const [entry, path] of Object.entries(FIXED_SCRIPTS)) {
    await writeFile(join(out, path), await bundle(entry, dev));
  }
  for (const file of await listFiles(join(webDir, 'css'), (path) => path.endsWith('.css'))) {
    const bytes = await readFile(file);
    const name = relative(join(webDir, 'css'), file);
    const hashed = hashedName(name.replaceAll('/', '-'), bytes);
    await writeFile(join(out, 'assets', hashed), bytes);
    renamed.set(`/css/${name}`, `/assets/${hashed}`);
  }
  for (const file of await listFiles(join(webDir, 'img'), () => true).catch(() => [])) {
    const target = join(out, 'img', relative(join(webDir, 'img'), file));
    await mkdir(dirname(target), { recursive: true });
    await copyFile(file, target);
  }

  // Pages: every reference to a script or style sheet must name a built asset.
  for (const page of await listFiles(webDir, (path) => path.endsWith('.html') && dirname(path) === webDir)) {
    let html = await readFile(page, 'utf8');
    html = html.replace(/(src|href)="(\/(?:assets|css)\/[^"]+)"/g, (match, attribute, address) => {
      const hashed = renamed.get(address);
      if (!hashed) throw new Error(`${relative(webDir, page)}: ${address} is not a built asset`);
      return `${attribute}="${hashed}"`;
    });
    await writeFile(join(out, relative(webDir, page)), html);
  }
  await rm(`${target}.old`, { recursive: true, force: true });
  await rename(target, `${target}.old`).catch((error) => {
    if (error.code !== 'ENOENT') throw error;
  });
  await rename(out, target);
  await rm(`${target}.old`, { recursive: true, force: true });
  console.log(`web: built ${renamed.size} assets and the pages into ${target}`);
}

main().catch((error) => {
  console.error(`web build failed: ${error.message}`);
  process.exit(1);
});
