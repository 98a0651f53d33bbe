/**
 * The package copies of the e2e upgrade scenario compile, and v2 only adds to v1: the same
 * dependencies, every v1 module byte-identical, plus the fixture's module(s). Runs where the
 * Move tier runs (a framework copy or `sui`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assemblePackageCopy, UPGRADE_FIXTURE_DIR } from '../../ts/e2e/upgrade.js';
import { silentLogger } from '../../ts/logger.js';
import { buildMovePackage, type BuiltPackage } from '../../ts/move/build.js';
import { buildEnvironment } from '../../ts/move/build-env.js';
import { detectMoveToolchain } from '../../ts/move/toolchain.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const toolchain = detectMoveToolchain(process.env);

describe.skipIf(toolchain.kind === 'none')(`upgrade fixture (${toolchain.kind})`, () => {
	let work: string;
	let v1: BuiltPackage;
	let v2: BuiltPackage;
	beforeAll(async () => {
		work = await mkdtemp(path.join(tmpdir(), 'upgrade-fixture-'));
		const build = (packagePath: string) =>
			buildMovePackage({
				packagePath,
				environment: buildEnvironment('testnet'),
				env: process.env,
				logger: silentLogger,
			});
		v1 = await build(await assemblePackageCopy({ root: ROOT, workDir: work, name: 'v1' }));
		v2 = await build(
			await assemblePackageCopy({
				root: ROOT,
				workDir: work,
				name: 'v2',
				extraSourcesDir: path.join(ROOT, UPGRADE_FIXTURE_DIR),
			}),
		);
	});
	afterAll(async () => {
		if (work) await rm(work, { recursive: true, force: true });
	});

	it('v2 keeps every v1 module unchanged and adds the fixture module', () => {
		expect(v2.dependencies).toEqual(v1.dependencies);
		for (const module of v1.modules) expect(v2.modules).toContain(module);
		expect(v2.modules).toHaveLength(v1.modules.length + 1);
		expect(v2.digest).not.toEqual(v1.digest);
	});
});
