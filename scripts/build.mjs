// `npm run build` (also run by `prepare`, so `npm install` leaves it ready): compiles ts/ and
// scripts/ to dist/ (ESM + .d.ts) with tsc -p tsconfig.build.json, from a clean dist/, and makes
// the CLI entry executable for the `seal-policies` bin. Plain JS so it needs no build itself.
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync(join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
	cwd: root,
	stdio: 'inherit',
});
chmodSync(join(root, 'dist', 'scripts', 'cli.js'), 0o755);
