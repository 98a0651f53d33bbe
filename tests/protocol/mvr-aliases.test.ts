/**
 * Protocol tier: the unmodified SDK against our key server for the two node-backed certificate
 * checks Mysten's server makes (seal crates/key-server/src/server.rs, mvr.rs at ddc7e5d6):
 * - a session key created with an MVR name decrypts when the name resolves (testnet: registry
 *   entry on mainnet → PackageInfo on testnet) to the policy package, and gets
 *   `InvalidMVRNameError` when it points elsewhere;
 * - a user whose address has aliases gets `InvalidUserSignatureError`.
 * The full nodes are canned gRPC answers in the node's shapes (tests/support/object-node.ts).
 */
import {
	InvalidMVRNameError,
	InvalidUserSignatureError,
	SealClient,
	SessionKey,
} from '@mysten/seal';
import type { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { fromHex, toHex } from '@mysten/sui/utils';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeAddressAliases, addressAliasesObjectId } from '../../ts/keyserver/address-aliases.js';
import { MvrResolver } from '../../ts/keyserver/mvr.js';
import {
	appInfo,
	PACKAGE_INFO_ID,
	packageInfoObject,
	registryEntry,
	TESTNET,
} from '../support/mvr-objects.js';
import { objectNode, type NodeObject } from '../support/object-node.js';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';

const OTHER_INFO_ID = `0x${'2f'.repeat(32)}`;
let bed: SealTestbed;
/** The testnet node's objects: package infos and the AddressAliases objects of aliased users. */
const testnetObjects: Record<string, NodeObject> = {};

beforeAll(async () => {
	const testnet = objectNode('grpc', { objects: testnetObjects });
	// The mainnet node holding the registry: '@org/app' and '@org/elsewhere' on testnet.
	const registry = objectNode('grpc', {
		objects: {
			...registryEntry('org', 'app', {
				networks: [[TESTNET, appInfo({ packageInfoId: PACKAGE_INFO_ID })]],
			}),
			...registryEntry('org', 'elsewhere', {
				networks: [[TESTNET, appInfo({ packageInfoId: OTHER_INFO_ID })]],
			}),
		},
	});
	bed = await startSealTestbed({
		serverCount: 1,
		mvr: new MvrResolver({
			network: 'testnet',
			client: testnet.client,
			registryClient: registry.client,
		}),
		addressAliases: new NodeAddressAliases(testnet.client),
	});
	Object.assign(testnetObjects, packageInfoObject([['default', '@org/app']], bed.packageId));
	const elsewhere = packageInfoObject([['default', '@org/elsewhere']], `0x${'ee'.repeat(32)}`);
	testnetObjects[OTHER_INFO_ID] = elsewhere[PACKAGE_INFO_ID]!;
});
afterAll(async () => {
	await bed?.close();
});

async function sealed(user: Ed25519Keypair) {
	const id = toHex(randomBytes(8));
	bed.policy.allow(id, user.toSuiAddress());
	const data = randomBytes(32);
	const client = new SealClient({ suiClient: bed.suiClient, serverConfigs: bed.serverConfigs() });
	const { encryptedObject } = await client.encrypt({
		threshold: 1,
		packageId: bed.packageId,
		id,
		data,
	});
	return { id, data, encryptedObject };
}

async function decryptAs(user: Ed25519Keypair, mvrName?: string) {
	const { id, data, encryptedObject } = await sealed(user);
	const sessionKey = await SessionKey.create({
		address: user.toSuiAddress(),
		packageId: bed.packageId,
		...(mvrName ? { mvrName } : {}),
		ttlMin: 10,
		signer: user,
		suiClient: bed.suiClient,
	});
	const client = new SealClient({ suiClient: bed.suiClient, serverConfigs: bed.serverConfigs() });
	const plain = await client.decrypt({
		data: encryptedObject,
		sessionKey,
		txBytes: await bed.approveTxBytes([fromHex(id)]),
	});
	return { plain, data };
}

describe('session keys with an MVR name (testnet server)', () => {
	it('decrypt when the name resolves to the policy package', async () => {
		const { plain, data } = await decryptAs(bed.newUser(), '@org/app');
		expect(Buffer.from(plain).equals(data)).toBe(true);
	});

	it('get InvalidMVRNameError when the name points to another package', async () => {
		await expect(decryptAs(bed.newUser(), '@org/elsewhere')).rejects.toBeInstanceOf(
			InvalidMVRNameError,
		);
	});
});

describe('users whose address has aliases', () => {
	it('get InvalidUserSignatureError; the same user without aliases decrypts', async () => {
		const user = bed.newUser();
		const { plain, data } = await decryptAs(user);
		expect(Buffer.from(plain).equals(data)).toBe(true);
		testnetObjects[addressAliasesObjectId(user.toSuiAddress())] = {
			type: '0x2::address_alias::AddressAliases',
			contents: new Uint8Array(64),
		};
		await expect(decryptAs(user)).rejects.toBeInstanceOf(InvalidUserSignatureError);
	});
});
