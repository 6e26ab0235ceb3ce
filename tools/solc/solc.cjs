#!/usr/bin/env node
// A native-solc-compatible front end for solc-js (the npm `solc` package, a wasm build).
//
// py-solc-x and brownie drive a *native* solc binary: they run `solc --version` and parse
// "Version: X.Y.Z+commit.HASH", and `solc --standard-json` with the JSON input on stdin,
// expecting only JSON on stdout. The `solcjs` CLI prints an extra line in standard-JSON mode
// and rejects --allow-paths, so this script speaks the native protocol instead.
// Imports are read from --base-path, then from each --include-path, then from the working
// directory; nothing is ever downloaded.
'use strict';
const fs = require('fs');
const path = require('path');

const repoRoot = path.resolve(__dirname, '..', '..');
const solc = require(require.resolve('solc', { paths: [process.cwd(), repoRoot] }));

function parseArgs(argv) {
  const opts = { standardJson: false, version: false, basePath: null, includePaths: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i];
    if (arg === '--version') opts.version = true;
    else if (arg === '--standard-json') opts.standardJson = true;
    else if (arg === '--base-path') opts.basePath = value();
    else if (arg === '--include-path') opts.includePaths.push(value());
    else if (arg === '--allow-paths') value(); // every readable path is allowed: solc-js has no sandbox
    else {
      process.stderr.write(`solc shim: unsupported argument ${arg}\n`);
      process.exit(2);
    }
  }
  return opts;
}

function makeResolver(opts) {
  const roots = [opts.basePath, ...opts.includePaths, process.cwd(), repoRoot].filter(Boolean);
  return (importPath) => {
    for (const root of roots) {
      const candidate = path.resolve(root, importPath);
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
        return { contents: fs.readFileSync(candidate, 'utf8') };
      }
    }
    return { error: `File not found: ${importPath} (searched ${roots.join(', ')})` };
  };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.version) {
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
    return;
  }
  if (!opts.standardJson) {
    process.stderr.write('solc shim: only --version and --standard-json are supported\n');
    process.exit(2);
  }
  const input = fs.readFileSync(0, 'utf8');
  process.stdout.write(solc.compile(input, { import: makeResolver(opts) }));
}

main();
