/**
 * Permissioned mode inside the server: several client keys in one key deriver (inline and in
 * worker threads), the `clients` option's checks, and `keyserver start --config` with a
 * `!Permissioned` file through the real entry point (MystenLabs/seal ddc7e5d6 master_keys.rs:
 * the seed from `MASTER_KEY`, imported keys from their env vars, public keys logged at start).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../ts/errors.js';
import { loadCurveBackend } from '../../../ts/keyserver/curve/backend.js';
import { randomScalar } from '../../../ts/keyserver/curve/curve.js';
import { deriveMasterKey } from '../../../ts/keyserver/derive-key.js';
import { FixedEvaluator } from '../../../ts/keyserver/evaluator.js';
import { inlineDeriver, startWorkerPool, type KeyDeriver } from '../../../ts/keyserver/key-pool.js';
import { generateMasterKey, publicKeyFromMasterKey } from '../../../ts/keyserver/keys.js';
import { StaticPackageResolver } from '../../../ts/keyserver/packages.js';
import { startKeyServer } from '../../../ts/keyserver/server.js';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Transaction } from '@mysten/sui/transactions';
import type { PolicyEvaluator } from '../../../ts/keyserver/evaluator.js';
import { KeyServerMetrics } from '../../../ts/keyserver/metrics.js';
import { handRequest, postFetchKey, SDK_HEADERS } from '../../support/fetch-key-request.js';
import { OfflineSuiRegistry, randomObjectId } from '../../support/offline-sui-registry.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Unwraps what `deriver` returns for key `index` and compares with that key's own user keys. */
async function expectKeyUsed(deriver: KeyDeriver, index: number, masterKey: Uint8Array) {
	const sk = 1234n;
	const encKey = bls12_381.G1.Point.BASE.multiply(sk).toBytes();
	const ids = Array.from({ length: 3 }, (_, i) => new Uint8Array([index, i]));
	const wrapped = await deriver.wrap(encKey, ids, index);
	const ops = (await loadCurveBackend('noble')).withMasterKey(masterKey);
	for (const [i, [c0, c1]] of wrapped.entries()) {
		const usk = bls12_381.G1.Point.fromBytes(c1).subtract(
			bls12_381.G1.Point.fromBytes(c0).multiply(sk),
		);
		expect(hex(usk.toBytes())).toBe(hex(ops.userKey(ids[i]!)));
	}
}

describe('one deriver, several client keys', () => {
	const keys = [randomScalar(), randomScalar(), randomScalar()];

	it('worker threads wrap with the key a request names; the caller keeps its copies', async () => {
		const copies = keys.map((k) => Uint8Array.from(k));
		const pool = await startWorkerPool({
			masterKey: copies[0]!,
			extraKeys: copies.slice(1),
			backend: 'mcl',
			size: 2,
		});
		try {
			// The pool clones what it needs; wiping the originals is the server's job.
			expect(copies).toEqual(keys);
			for (const [i, key] of keys.entries()) await expectKeyUsed(pool, i, key);
			await expect(pool.wrap(new Uint8Array(48), [new Uint8Array([1])], 3)).rejects.toThrow(
				/no key 3/,
			);
		} finally {
			await pool.close();
		}
	});

	it('inline: the same with one MasterKeyOps per key; close wipes them all', async () => {
		const backend = await loadCurveBackend('mcl');
		const deriver = inlineDeriver(keys.map((k) => backend.withMasterKey(k)));
		for (const [i, key] of keys.entries()) await expectKeyUsed(deriver, i, key);
		await expect(deriver.wrap(new Uint8Array(48), [], 5)).rejects.toThrow(/no key 5/);
		await deriver.close();
	});
});

describe('startKeyServer({ clients })', () => {
	const base = {
		evaluator: new FixedEvaluator(),
		packages: new StaticPackageResolver(),
		workers: 0,
	};
	const client = (objectId: string, packageIds = ['0x1']) => ({
		name: objectId,
		objectId,
		masterKey: generateMasterKey(),
		packageIds,
	});

	it('refuses an empty list, a mix with Open-mode keys, repeated object ids and bad ids', async () => {
		const cases: [Parameters<typeof startKeyServer>[0], RegExp][] = [
			[{ ...base, clients: [] }, /No clients found in the configuration/],
			[{ ...base, clients: [client('0xa')], masterKey: generateMasterKey() }, /takes no masterKey/],
			[{ ...base, clients: [client('0xa'), client('0xa')] }, /Duplicate key server object ID/],
			[{ ...base, clients: [client('0xa'), client('0xb')] }, /Duplicate package ID: 0x0+1$/],
			[{ ...base, clients: [client('nope')] }, /clients\[0\]\.objectId/],
			[{ ...base, clients: [client('0xa', ['zz'])] }, /clients\[0\]\.packageIds/],
			[{ ...base }, /Open mode needs masterKey and objectId/],
		];
		for (const [options, message] of cases) {
			await expect(startKeyServer(options)).rejects.toThrow(message);
			await expect(startKeyServer(options)).rejects.toBeInstanceOf(InvalidInputError);
		}
	});
});

describe('dry_run_gas_cost_per_package (server.rs check_policy: Permissioned mode only)', () => {
	it('records the simulation cost under the PTB package in Permissioned mode, never in Open mode', async () => {
		const registry = new OfflineSuiRegistry();
		const pkg = registry.registerPackage(randomObjectId(), 1);
		const packages = new StaticPackageResolver([[pkg, pkg]]);
		// A simulation that ran and denied: upstream records its cost before judging the outcome.
		const evaluator: PolicyEvaluator = {
			evaluate: async () => ({
				allowed: false,
				error: 'NoAccess',
				detail: 'no',
				computationCost: 7_500_000,
			}),
		};
		const tx = new Transaction();
		tx.moveCall({ target: `${pkg}::policy::seal_approve`, arguments: [tx.pure.vector('u8', [1])] });
		const txBytes = await tx.build({ client: registry, onlyTransactionKind: true });
		const user = Ed25519Keypair.generate();
		const observe = async (mode: 'permissioned' | 'open') => {
			const metrics = new KeyServerMetrics();
			const server = await startKeyServer({
				...(mode === 'permissioned'
					? {
							clients: [
								{ name: 'a', objectId: '0xa', masterKey: generateMasterKey(), packageIds: [pkg] },
							],
						}
					: { masterKey: generateMasterKey(), objectId: '0xa' }),
				evaluator,
				packages,
				workers: 0,
				metrics,
			});
			try {
				const { body } = await handRequest({ user, packageId: pkg, txBytes });
				expect((await postFetchKey(server.url, body)).json).toMatchObject({ error: 'NoAccess' });
			} finally {
				await server.close();
			}
			return metrics.registry.getSingleMetricAsString('dry_run_gas_cost_per_package');
		};
		const permissioned = await observe('permissioned');
		expect(permissioned).toContain(`dry_run_gas_cost_per_package_count{package="${pkg}"} 1`);
		expect(permissioned).toContain(`dry_run_gas_cost_per_package_sum{package="${pkg}"} 7500000`);
		expect(permissioned).toContain(
			`dry_run_gas_cost_per_package_bucket{le="5000000",package="${pkg}"} 0`,
		);
		expect(permissioned).toContain(
			`dry_run_gas_cost_per_package_bucket{le="10000000",package="${pkg}"} 1`,
		);
		expect(await observe('open')).not.toContain('dry_run_gas_cost_per_package_count');
	});
});

describe('keyserver start --config with a !Permissioned file (real entry point)', () => {
	it('serves each client object, logs public keys and the next unassigned ones, never the secrets', async () => {
		const root = resolve(import.meta.dirname, '..', '..', '..');
		const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
		const dir = mkdtempSync(join(tmpdir(), 'perm-start-'));
		const seed = hex(generateMasterKey());
		const imported = hex(generateMasterKey());
		const alice = `0x${'a1'.repeat(32)}`;
		const bob = `0x${'b2'.repeat(32)}`;
		writeFileSync(
			join(dir, 'config.yaml'),
			[
				'network: !Devnet',
				"  seal_package: '0x2'",
				"node_url: 'http://127.0.0.1:9'",
				'server_mode: !Permissioned',
				'  client_configs:',
				'    - name: alice',
				'      client_master_key: !Derived',
				'        derivation_index: 0',
				`      key_server_object_id: '${alice}'`,
				"      package_ids: ['0x1234']",
				'    - name: bob',
				'      client_master_key: !Imported',
				'        env_var: BOB_KEY',
				`      key_server_object_id: '${bob}'`,
				"      package_ids: ['0x5678']",
			].join('\n'),
		);
		const child = spawn(
			process.execPath,
			[
				'--import',
				tsx,
				join(root, 'scripts', 'cli.ts'),
				'keyserver',
				'start',
				'--config',
				join(dir, 'config.yaml'),
				'--port',
				'0',
				'--metrics-port',
				'off',
				'--workers',
				'1',
				'--check-node',
				'off',
			],
			{
				env: { PATH: process.env['PATH'], MASTER_KEY: `0x${seed}`, BOB_KEY: imported },
				stdio: ['ignore', 'pipe', 'pipe'],
			},
		);
		let out = '';
		child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
		const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
		try {
			const deadline = Date.now() + 60_000;
			while (!/ at http:\/\/127\.0\.0\.1:\d+/.test(out) && Date.now() < deadline) {
				if (child.exitCode !== null) break;
				await new Promise((done) => setTimeout(done, 100));
			}
			const url = / at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
			expect(url, out).toBeDefined();
			const pk = (key: Uint8Array) => `0x${hex(publicKeyFromMasterKey(key))}`;
			const seedBytes = Buffer.from(seed, 'hex');
			expect(out).toContain(
				`Client "alice" uses public key: "${pk(deriveMasterKey(seedBytes, 0n))}"`,
			);
			expect(out).toContain(`Client "bob" uses public key: "${pk(Buffer.from(imported, 'hex'))}"`);
			expect(out).toContain(
				`Unassigned derived public key with index 1: "${pk(deriveMasterKey(seedBytes, 1n))}"`,
			);
			expect(out).toMatch(/Unassigned derived public key with index 10: /);
			expect(out).toMatch(/Permissioned, 2 client\(s\): alice 0xa1a1/);
			expect(out).not.toContain(seed);
			expect(out).not.toContain(imported);
			expect(out).not.toContain(hex(deriveMasterKey(seedBytes, 0n)));
			for (const objectId of [alice, bob]) {
				const response = await fetch(`${url}/v1/service?service_id=${objectId}`, {
					headers: SDK_HEADERS,
				});
				expect(response.status).toBe(200);
			}
		} finally {
			child.kill('SIGTERM');
			expect(await exited, out).toBe(0);
			rmSync(dir, { recursive: true, force: true });
		}
	}, 90_000);

	it('a config with a duplicate derivation index stops before any key is read', async () => {
		const { command } = await import('../../../scripts/commands/keyserver.js');
		const { createCliIo } = await import('../../../scripts/cli-io.js');
		const dir = mkdtempSync(join(tmpdir(), 'perm-bad-'));
		try {
			const entry = (name: string, id: string) => [
				`    - name: ${name}`,
				'      client_master_key: !Derived',
				'        derivation_index: 0',
				`      key_server_object_id: '${id}'`,
				`      package_ids: ['${id}1']`,
			];
			writeFileSync(
				join(dir, 'c.yaml'),
				[
					'network: Testnet',
					'server_mode: !Permissioned',
					'  client_configs:',
					...entry('a', '0xa'),
					...entry('b', '0xb'),
				].join('\n'),
			);
			const env: NodeJS.ProcessEnv = { MASTER_KEY: hex(generateMasterKey()) };
			const io = createCliIo({ json: true, verbose: false, env });
			await expect(
				command.run(['start', '--config', join(dir, 'c.yaml'), '--check-node', 'off'], io),
			).rejects.toThrow(/Duplicate derivation index: 0/);
			// Refused while reading the file: the seed was never taken from the environment.
			expect(env['MASTER_KEY']).toBeDefined();
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
