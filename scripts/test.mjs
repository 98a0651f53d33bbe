#!/usr/bin/env node
// `npm test`: the typecheck, then every vitest tier (arguments go to vitest, e.g.
// `npm test -- --project unit`). The summary reporter prints how long the whole run took on the
// line before its closing `tests: N passed, N failed, N skipped` line.
import { spawnSync } from 'node:child_process';

const started = Date.now();
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const typecheck = spawnSync(npm, ['run', '--silent', 'typecheck'], { stdio: 'inherit' });
if (typecheck.status !== 0) process.exit(typecheck.status ?? 1);
const tests = spawnSync('vitest', ['run', ...process.argv.slice(2)], {
	stdio: 'inherit',
	shell: process.platform === 'win32',
	env: {
		...process.env,
		SEAL_TEST_STARTED_MS: String(started),
		SEAL_TEST_TYPECHECK_MS: String(Date.now() - started),
	},
});
process.exit(tests.status ?? 1);
