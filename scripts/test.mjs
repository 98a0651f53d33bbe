#!/usr/bin/env node
// `npm test`: the typecheck, then every vitest tier (arguments go to vitest, e.g.
// `npm test -- --project protocol`). The summary reporter prints how long the whole run took on the
// line before its closing `tests: N passed, N failed, N skipped` line.
//
// The typecheck also compiles the package as `npm run build` does, into a temporary directory
// the npm-package test packs (SEAL_TEST_BUILD_DIR), so that compile runs once per `npm test`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const started = Date.now();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = mkdtempSync(join(tmpdir(), 'seal-policies-build-'));
let status;
try {
	const typecheck = spawnSync(
		process.execPath,
		[join(root, 'scripts', 'typecheck.mjs'), '--build-into', build],
		{ stdio: 'inherit' },
	);
	if (typecheck.status !== 0) {
		status = typecheck.status ?? 1;
	} else {
		const tests = spawnSync('vitest', ['run', ...process.argv.slice(2)], {
			stdio: 'inherit',
			shell: process.platform === 'win32',
			env: {
				...process.env,
				SEAL_TEST_STARTED_MS: String(started),
				SEAL_TEST_TYPECHECK_MS: String(Date.now() - started),
				SEAL_TEST_BUILD_DIR: build,
			},
		});
		status = tests.status ?? 1;
	}
} finally {
	rmSync(build, { recursive: true, force: true });
}
process.exit(status);
