#!/usr/bin/env node
// `npm run typecheck`: tsc --noEmit over the library + scripts, the tests, and the web example.
// The three checks are independent and each runs on one core, so they run at once (on a 2-core
// machine this halves the typecheck part of `npm test`); each one's output is printed whole, in
// this order, after it finishes. Exits with the first failing check's status.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const PROJECTS = ['tsconfig.json', 'tests/tsconfig.json', 'examples/web/tsconfig.json'];

// Piped output loses tsc's colours; keep them when the reader has a terminal.
const pretty = process.stdout.isTTY ? ['--pretty'] : [];
const runs = PROJECTS.map(
	(project) =>
		new Promise((done) => {
			const child = spawn(process.execPath, [tsc, '-p', project, '--noEmit', ...pretty], {
				cwd: root,
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			let output = '';
			child.stdout.on('data', (chunk) => (output += chunk));
			child.stderr.on('data', (chunk) => (output += chunk));
			child.on('error', (error) => done({ project, status: 1, output: `${error.message}\n` }));
			child.on('close', (status, signal) =>
				done({ project, status: status ?? (signal ? 1 : 0), output }),
			);
		}),
);

let failed = 0;
for (const { project, status, output } of await Promise.all(runs)) {
	if (output !== '') process.stdout.write(output);
	if (status !== 0) {
		process.stderr.write(`typecheck: tsc -p ${project} failed (exit ${status})\n`);
		failed ||= status;
	}
}
process.exit(failed);
