/**
 * `seal-policies keyserver start` wires the node-backed certificate checks: run as a process on
 * `--network mainnet --transport jsonrpc` against a local JSON-RPC full node (answers in the
 * node's shapes: sui-json-rpc-types `SuiObjectResponse`, dry-run effects), it resolves a real
 * mainnet MVR registry entry (tests/fixtures/mvr-mainnet-record.json) on that node and refuses a
 * user whose AddressAliases object exists.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Transaction } from '@mysten/sui/transactions';
import { normalizeSuiAddress } from '@mysten/sui/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressAliasesObjectId } from '../../../ts/keyserver/address-aliases.js';
import { MVR_REGISTRY_ID } from '../../../ts/keyserver/mvr.js';
import { generateMasterKey } from '../../../ts/keyserver/keys.js';
import fixture from '../../fixtures/mvr-mainnet-record.json' with { type: 'json' };
import { handRequest, postFetchKey } from '../../support/fetch-key-request.js';

/** The package the real registry entry points to, served here as a version-1 package. */
const PKG = fixture.withAppInfo.packageAddress;
const DIGEST = 'HHmLJ7zX4ZgdSmFfxR9S1bTVqBR7E4E8Bqs1SMxAG2Lz';
const aliased = Ed25519Keypair.generate();

/** SuiObjectResponse for `id`, or the node's `notExists` error. */
function objectResponse(id: string): unknown {
	const objectId = normalizeSuiAddress(id);
	if (objectId === PKG) {
		return {
			data: { objectId, version: '1', digest: DIGEST, type: 'package', owner: 'Immutable' },
		};
	}
	const move = (type: string, contents: Uint8Array, version: number, owner: unknown) => ({
		data: {
			objectId,
			version: String(version),
			digest: DIGEST,
			type,
			owner,
			bcs: {
				dataType: 'moveObject',
				type,
				hasPublicTransfer: false,
				version,
				bcsBytes: Buffer.from(contents).toString('base64'),
			},
		},
	});
	if (objectId === fixture.objectId) {
		const contents = Buffer.from(fixture.withAppInfo.contents, 'hex');
		return move(fixture.type, contents, fixture.withAppInfo.version, {
			ObjectOwner: MVR_REGISTRY_ID,
		});
	}
	if (objectId === addressAliasesObjectId(aliased.toSuiAddress())) {
		return move('0x2::address_alias::AddressAliases', new Uint8Array(65), 3, {
			ConsensusAddressOwner: { owner: aliased.toSuiAddress(), start_version: 3 },
		});
	}
	return { error: { code: 'notExists', object_id: objectId } };
}

function answer(method: string, params: unknown[]): unknown {
	switch (method) {
		case 'sui_multiGetObjects':
			return (params[0] as string[]).map(objectResponse);
		case 'suix_getReferenceGasPrice':
			return '1000';
		case 'sui_dryRunTransactionBlock':
			return {
				effects: {
					messageVersion: 'v1',
					status: { status: 'success' },
					executedEpoch: '0',
					gasUsed: {
						computationCost: '1000',
						storageCost: '0',
						storageRebate: '0',
						nonRefundableStorageFee: '0',
					},
					transactionDigest: DIGEST,
					gasObject: {
						owner: { AddressOwner: PKG },
						reference: { objectId: '0x0', version: 0, digest: DIGEST },
					},
					dependencies: [],
				},
				events: [],
				objectChanges: [],
				balanceChanges: [],
				input: {},
			};
	}
	throw new Error(`unexpected ${method}`);
}

let node: Server;
let child: ChildProcess | undefined;
let url: string;

beforeAll(async () => {
	node = createServer((req, res) => {
		let body = '';
		req.on('data', (chunk: Buffer) => (body += chunk.toString()));
		req.on('end', () => {
			const request = JSON.parse(body) as { id: number; method: string; params: unknown[] };
			let reply: unknown;
			try {
				reply = { jsonrpc: '2.0', id: request.id, result: answer(request.method, request.params) };
			} catch (error) {
				reply = { jsonrpc: '2.0', id: request.id, error: { code: -32601, message: String(error) } };
			}
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(JSON.stringify(reply));
		});
	});
	await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', resolve));
	const nodeUrl = `http://127.0.0.1:${(node.address() as AddressInfo).port}`;
	child = spawn(
		process.execPath,
		[
			'--import',
			'tsx',
			'scripts/cli.ts',
			'keyserver',
			'start',
			'--object-id',
			`0x${'2'.padStart(64, '0')}`,
			'--node-url',
			nodeUrl,
			'--transport',
			'jsonrpc',
			'--network',
			'mainnet',
			'--port',
			'0',
			'--metrics-port',
			'off',
			'--workers',
			'0',
		],
		{
			env: { ...process.env, MASTER_KEY: Buffer.from(generateMasterKey()).toString('hex') },
			stdio: ['ignore', 'pipe', 'pipe'],
		},
	);
	url = await listening(child);
}, 90_000);

afterAll(async () => {
	if (child && child.exitCode === null) {
		const exited = new Promise((resolve) => child!.once('exit', resolve));
		child.kill('SIGTERM');
		await exited;
	}
	await new Promise((resolve) => node?.close(resolve));
});

function listening(process: ChildProcess): Promise<string> {
	return new Promise((resolve, reject) => {
		let out = '';
		const timer = setTimeout(() => reject(new Error(`no start line: ${out}`)), 60_000);
		const onData = (chunk: Buffer) => {
			out += chunk.toString();
			const match = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
			if (match) {
				clearTimeout(timer);
				resolve(match[1]!);
			}
		};
		process.stdout!.on('data', onData);
		process.stderr!.on('data', onData);
		process.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
	});
}

async function request(user: Ed25519Keypair, mvrName?: string) {
	const tx = new Transaction();
	tx.moveCall({ target: `${PKG}::m::seal_approve`, arguments: [tx.pure.vector('u8', [7])] });
	const { body } = await handRequest({
		user,
		packageId: mvrName ?? PKG,
		txBytes: await tx.build({ onlyTransactionKind: true }),
	});
	if (mvrName) (body['certificate'] as Record<string, unknown>)['mvr_name'] = mvrName;
	return postFetchKey(url, body);
}

describe('keyserver start on mainnet (JSON-RPC node)', () => {
	it('serves a session key that carries an MVR name resolving to the package', async () => {
		const res = await request(Ed25519Keypair.generate(), fixture.name);
		expect(res.status).toBe(200);
		expect((res.json as { decryption_keys: unknown[] }).decryption_keys).toHaveLength(1);
		const other = await request(Ed25519Keypair.generate(), '@nobody/app');
		expect(other.json).toEqual({ error: 'InvalidMVRName', message: 'Invalid MVR name' });
	});

	it('refuses a user whose address has aliases', async () => {
		const res = await request(aliased);
		expect(res.status).toBe(403);
		expect(res.json).toEqual({ error: 'InvalidSignature', message: 'Invalid user signature' });
		expect((await request(Ed25519Keypair.generate())).status).toBe(200);
	});
});
