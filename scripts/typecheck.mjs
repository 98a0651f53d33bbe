#!/usr/bin/env node
// `npm run typecheck`: tsc --noEmit over the library + scripts, the tests, and the web example.
// The three checks are independent and each runs on one core, so they run at once (on a 2-core
// machine this halves the typecheck part of `npm test`); each one's output is printed whole, in
// this order, after it finishes. Exits with the first failing check's status.
//
// `--build-into DIR` (used by `npm test`): the library check is `npm run build`'s compile instead
// (tsconfig.build.json, the same options plus declarations, bench excluded — the tests' check
// covers the bench), written to DIR, so the npm-package test packs it instead of compiling again.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

const [option, buildDir] = process.argv.slice(2);
if (option !== undefined && (option !== '--build-into' || !buildDir)) {
	process.stderr.write('usage: node scripts/typecheck.mjs [--build-into DIR]\n');
	process.exit(2);
}
const CHECKS = [
	buildDir
		? ['-p', 'tsconfig.build.json', '--outDir', buildDir]
		: ['-p', 'tsconfig.json', '--noEmit'],
	['-p', 'tests/tsconfig.json', '--noEmit'],
	['-p', 'examples/web/tsconfig.json', '--noEmit'],
];

// Piped output loses tsc's colours; keep them when the reader has a terminal.
const pretty = process.stdout.isTTY ? ['--pretty'] : [];
const runs = CHECKS.map(
	(args) =>
		new Promise((done) => {
			const child = spawn(process.execPath, [tsc, ...args, ...pretty], {
				cwd: root,
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			let output = '';
			child.stdout.on('data', (chunk) => (output += chunk));
			child.stderr.on('data', (chunk) => (output += chunk));
			child.on('error', (error) => done({ args, status: 1, output: `${error.message}\n` }));
			child.on('close', (status, signal) =>
				done({ args, status: status ?? (signal ? 1 : 0), output }),
			);
		}),
);

let failed = 0;
for (const { args, status, output } of await Promise.all(runs)) {
	if (output !== '') process.stdout.write(output);
	if (status !== 0) {
		process.stderr.write(`typecheck: tsc ${args.join(' ')} failed (exit ${status})\n`);
		failed ||= status;
	}
}
process.exit(failed);
