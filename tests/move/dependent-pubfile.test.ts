/**
 * What move/Pub.localnet.toml is for: a package that depends on `seal_policies` builds for the
 * localnet against our publication there, as `sui move build --build-env testnet --pubfile-path
 * <our Pub.localnet.toml>` would (MystenLabs/sui crates/sui/tests/shell_tests/with_network/
 * ephemeral_dump/dump_with_pubfile.snap @ 086bf8a2: the dependency's original id from the pubfile
 * appears in the bytecode, its published-at in `dependencies`). Offline this runs through the
 * WASM builder, which reads the file by the same rules (ts/move/wasm.ts `ephemeralOverrides`).
 * Needs Sui framework sources (SUI_FRAMEWORK_DIR or the Sui CLI cache); skipped otherwise.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { fromBase64, toHex } from '@mysten/sui/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MoveToolchainError } from '../../ts/move/errors.js';
import { silentLogger } from '../../ts/logger.js';
import { buildEnvironment } from '../../ts/move/build-env.js';
import { buildMovePackage } from '../../ts/move/build.js';
import { publishAndRecord } from '../../ts/move/publish.js';
import { detectMoveToolchain } from '../../ts/move/toolchain.js';
import { publishingClient } from '../support/publishing-client.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHAIN = 'abcd1234';
const PUBLISHED = `0x${'5e'.repeat(32)}`;
const CAP = `0x${'ca'.repeat(32)}`;

// The WASM builder only: a `sui` binary would try to reach a localnet node this test has not got.
const wasmEnv = {
	HOME: process.env['HOME'],
	SUI_FRAMEWORK_DIR: process.env['SUI_FRAMEWORK_DIR'],
	MOVE_HOME: process.env['MOVE_HOME'],
};
const toolchain = detectMoveToolchain(wasmEnv);
if (toolchain.kind === 'none') {
	console.warn(`[move] dependent-pubfile skipped: ${toolchain.reason}`);
}

describe.skipIf(toolchain.kind === 'none')('a dependent package on localnet', () => {
	let work: string;
	let ours: string;
	let app: string;
	let pubfile: string;
	const localnet = buildEnvironment('localnet', CHAIN);

	beforeAll(async () => {
		work = await mkdtemp(path.join(tmpdir(), 'dependent-pubfile-'));
		// A copy of move/ stands for the repository's package (publish writes next to it).
		ours = path.join(work, 'seal_policies');
		await mkdir(ours);
		await cp(path.join(ROOT, 'move', 'Move.toml'), path.join(ours, 'Move.toml'));
		await cp(path.join(ROOT, 'move', 'sources'), path.join(ours, 'sources'), { recursive: true });
		const published = await publishAndRecord({
			client: publishingClient(CHAIN, { packageId: PUBLISHED, upgradeCapId: CAP }),
			signer: Ed25519Keypair.generate(),
			network: 'localnet',
			packagePath: ours,
			deploymentsDir: path.join(work, 'deployments'),
			build: async () => ({
				modules: ['oRzrCwYAAAAB'],
				dependencies: [],
				digest: Array.from({ length: 32 }, () => 7),
				toolchainVersion: '1.71.1',
			}),
		});
		pubfile = published.publicationFile;

		app = path.join(work, 'app');
		await mkdir(path.join(app, 'sources'), { recursive: true });
		await writeFile(
			path.join(app, 'Move.toml'),
			'[package]\nname = "app"\nedition = "2024"\n\n[dependencies]\nseal_policies = { local = "../seal_policies" }\n',
		);
		await writeFile(
			path.join(app, 'sources', 'gate.move'),
			[
				'module app::gate;',
				'use seal_policies::allowlist::Allowlist;',
				'public fun admits(list: &Allowlist, who: address): bool { list.is_member(who) }',
				'',
			].join('\n'),
		);
	}, 120_000);
	afterAll(async () => {
		if (work) await rm(work, { recursive: true, force: true });
	});

	it('our publish records Pub.localnet.toml under an environment Move.toml has (testnet)', async () => {
		expect(pubfile).toBe(path.join(ours, 'Pub.localnet.toml'));
		const text = await readFile(pubfile, 'utf8');
		expect(text).toContain(`build-env = "testnet"\nchain-id = "${CHAIN}"\n`);
		expect(text).toContain(`source = { local = ${JSON.stringify(ours)} }`);
		expect(text).toContain(`published-at = "${PUBLISHED}"\noriginal-id = "${PUBLISHED}"`);
	});

	it('the dependent build links against our localnet publication from that file', async () => {
		const built = await buildMovePackage({
			packagePath: app,
			environment: localnet,
			env: wasmEnv,
			pubfile,
			logger: silentLogger,
		});
		expect(built.toolchain).toBe('wasm');
		expect(built.dependencies).toContain(PUBLISHED);
		const bytecode = built.modules.map((module) => toHex(fromBase64(module))).join('');
		expect(bytecode).toContain(PUBLISHED.slice(2));

		// Without the file the dependency is unpublished: its address stays 0x0.
		const unpublished = await buildMovePackage({
			packagePath: app,
			environment: localnet,
			env: wasmEnv,
			logger: silentLogger,
		});
		expect(unpublished.dependencies).not.toContain(PUBLISHED);
	});

	it("refuses a file sui would refuse: another build-env (ours used to write the network's name) or chain", async () => {
		const text = await readFile(pubfile, 'utf8');
		const old = path.join(work, 'Pub.old.toml');
		await writeFile(old, text.replace('build-env = "testnet"', 'build-env = "localnet"'));
		const build = (file: string) =>
			buildMovePackage({
				packagePath: app,
				environment: localnet,
				env: wasmEnv,
				pubfile: file,
				logger: silentLogger,
			});
		await expect(build(old)).rejects.toThrow(MoveToolchainError);
		await expect(build(old)).rejects.toThrow(/EphemeralEnvMismatch/);
		const otherChain = path.join(work, 'Pub.regenesis.toml');
		await writeFile(otherChain, text.replace(`chain-id = "${CHAIN}"`, 'chain-id = "ffff0000"'));
		await expect(build(otherChain)).rejects.toThrow(/EphemeralChainMismatch/);
	});
});
