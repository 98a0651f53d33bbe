/**
 * Mysten's address-alias check (seal crates/key-server/src/server.rs at ddc7e5d6,
 * `has_address_aliases`): the derived `AddressAliases` object id, the node lookup over both
 * transports (fixtures in the node's answer shapes, tests/support/object-node.ts), its place
 * in the check order (after the certificate time, before the user signature) and its answers
 * (`InvalidSignature` when the object exists, `Failure` when the node cannot tell).
 */
import { bcs } from '@mysten/sui/bcs';
import type { ClientWithCoreApi } from '@mysten/sui/client';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Transaction } from '@mysten/sui/transactions';
import { deriveObjectID } from '@mysten/sui/utils';
import { blake2b } from '@noble/hashes/blake2.js';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyServerRequestError } from '../../../ts/keyserver/errors.js';
import {
	addressAliasesObjectId,
	checkAddressAliases,
	NodeAddressAliases,
	type AddressAliasLookup,
} from '../../../ts/keyserver/address-aliases.js';
import { nobleBackend } from '../../../ts/keyserver/curve/noble.js';
import { FixedEvaluator } from '../../../ts/keyserver/evaluator.js';
import { fetchKey, type FetchKeyContext } from '../../../ts/keyserver/fetch-key.js';
import { generateMasterKey } from '../../../ts/keyserver/keys.js';
import { StaticPackageResolver } from '../../../ts/keyserver/packages.js';
import { parseFetchKeyRequest } from '../../../ts/keyserver/request.js';
import { startKeyServer, type RunningKeyServer } from '../../../ts/keyserver/server.js';
import { handRequest, postFetchKey } from '../../support/fetch-key-request.js';
import { objectNode, TRANSPORTS } from '../../support/object-node.js';

const USER = `0x${'5a'.repeat(32)}`;
const PKG = `0x${'0a'.repeat(32)}`;
const ALIASES_TYPE = '0x2::address_alias::AddressAliases';

/** The node's answer for an address that has aliases: the derived object exists. */
function aliasObject(address: string) {
	// AddressAliases { id: UID, aliases: VecSet<address> } (address_alias.move): the user itself.
	const contents = bcs
		.struct('AddressAliases', {
			id: bcs.Address,
			aliases: bcs.struct('VecSet', { contents: bcs.vector(bcs.Address) }),
		})
		.serialize({ id: addressAliasesObjectId(address), aliases: { contents: [address] } })
		.toBytes();
	return { [addressAliasesObjectId(address)]: { type: ALIASES_TYPE, contents } };
}

describe('the AddressAliases object id', () => {
	it('is the dynamic-field id of DerivedObjectKey<AliasKey> under 0xa with the BCS address', () => {
		// Computed here from the parts (sui-types dynamic_field.rs `derive_dynamic_field_id`:
		// blake2b-256 of 0xf0 ‖ parent ‖ u64 LE key length ‖ key ‖ BCS type tag), not via the SDK.
		const parent = bcs.Address.serialize('0xa').toBytes();
		const key = bcs.Address.serialize(USER).toBytes();
		const tag = bcs.TypeTag.serialize(
			'0x2::derived_object::DerivedObjectKey<0x2::address_alias::AliasKey>',
		).toBytes();
		const preimage = Buffer.concat([
			Buffer.from([0xf0]),
			parent,
			bcs.u64().serialize(key.length).toBytes(),
			key,
			tag,
		]);
		const expected = `0x${Buffer.from(blake2b(preimage, { dkLen: 32 })).toString('hex')}`;
		expect(addressAliasesObjectId(USER)).toBe(expected);
		expect(addressAliasesObjectId(`0x${'5A'.repeat(32)}`)).toBe(expected);
		expect(addressAliasesObjectId(`0x${'5b'.repeat(32)}`)).not.toBe(expected);
	});

	it("the SDK's derived-object rule matches Sui's own snapshot", () => {
		// MystenLabs/sui crates/sui-types/src/derived_object.rs at 6a7714fb,
		// `test_derive_object_snapshot`: parent 0x2, key type vector<u8>, key b"foo".
		const key = bcs
			.vector(bcs.u8())
			.serialize(Array.from(Buffer.from('foo')))
			.toBytes();
		expect(deriveObjectID('0x2', 'vector<u8>', key)).toBe(
			'0xa2b411aa9588c398d8e3bc97dddbdd430b5ded7f81545d05e33916c3ca0f30c3',
		);
	});
});

describe.each(TRANSPORTS)('NodeAddressAliases over %s', (transport) => {
	it('asks for the derived object: present → aliases, missing → none', async () => {
		const node = objectNode(transport, { objects: aliasObject(USER) });
		const rpc: [string, boolean, number][] = [];
		const lookup = new NodeAddressAliases(node.client, { onRpc: (...a) => rpc.push(a) });
		const before = performance.now();
		expect(await lookup.hasAddressAliases(USER)).toBe(true);
		expect(await lookup.hasAddressAliases(`0x${'77'.repeat(32)}`)).toBe(false);
		// Each call is timed by itself: never longer than the whole test took.
		const elapsed = performance.now() - before;
		for (const [, , ms] of rpc) expect(ms).toBeGreaterThanOrEqual(0);
		for (const [, , ms] of rpc) expect(ms).toBeLessThanOrEqual(elapsed);
		expect(node.asked).toEqual([
			addressAliasesObjectId(USER),
			addressAliasesObjectId(`0x${'77'.repeat(32)}`),
		]);
		expect(rpc.map(([method, ok]) => [method, ok])).toEqual([
			['object_exists', true],
			['object_exists', true],
		]);
	});

	it('a node that cannot answer throws (and is counted as a failed call)', async () => {
		const rpc: unknown[][] = [];
		const lookup = new NodeAddressAliases(objectNode(transport, { down: true }).client, {
			onRpc: (...a) => rpc.push(a),
		});
		await expect(lookup.hasAddressAliases(USER)).rejects.toThrow();
		expect(rpc.map(([method, ok]) => [method, ok])).toEqual([['object_exists', false]]);
	});

	it('a deleted object means no aliases; any other per-object error throws', async () => {
		const id = addressAliasesObjectId(USER);
		const deleted = objectNode(transport, { errors: { [id]: 'deleted' } });
		// A client that fails with something that is not even an object: passed on as it is.
		const odd = { core: { getObject: () => Promise.reject(null) } } as unknown as ClientWithCoreApi;
		await expect(new NodeAddressAliases(odd).hasAddressAliases(USER)).rejects.toBeNull();
		expect(await new NodeAddressAliases(deleted.client).hasAddressAliases(USER)).toBe(false);
		const broken = objectNode(transport, { errors: { [id]: 'unknown' } });
		await expect(new NodeAddressAliases(broken.client).hasAddressAliases(USER)).rejects.toThrow();
	});
});

describe('checkAddressAliases', () => {
	const answering = (answer: boolean | Error): AddressAliasLookup => ({
		hasAddressAliases: async () => {
			if (answer instanceof Error) throw answer;
			return answer;
		},
	});
	const outcome = (promise: Promise<void>) =>
		promise.then(
			() => 'passed',
			(e: KeyServerRequestError) => e,
		);

	it('aliases → InvalidSignature; none → passes; a node error → Failure with the detail', async () => {
		const aliased = await outcome(checkAddressAliases(answering(true), USER));
		expect(aliased).toMatchObject({
			errorName: 'InvalidSignature',
			wireMessage: 'Invalid user signature',
		});
		expect(await outcome(checkAddressAliases(answering(false), USER))).toBe('passed');
		const failed = await outcome(checkAddressAliases(answering(new Error('node down')), USER));
		expect(failed).toMatchObject({
			errorName: 'Failure',
			wireMessage: 'Internal server error, please try again later',
		});
		const cause = (failed as KeyServerRequestError).cause as Error;
		expect(cause.message).toBe('Failed to check address aliases: node down');
		expect((cause.cause as Error).message).toBe('node down');
		// A thrown non-Error still makes a readable detail.
		const thrower: AddressAliasLookup = {
			hasAddressAliases: () => Promise.reject('node said no'),
		};
		const odd = await outcome(checkAddressAliases(thrower, USER));
		expect(((odd as KeyServerRequestError).cause as Error).message).toBe(
			'Failed to check address aliases: node said no',
		);
	});
});

// --- Place in the fetch_key checks ----------------------------------------------------------

async function signedRequest(options: { creationTimeMs?: number; wrongSigner?: boolean } = {}) {
	const tx = new Transaction();
	tx.moveCall({ target: `${PKG}::m::seal_approve`, arguments: [tx.pure.vector('u8', [1])] });
	const txBytes = await tx.build({ onlyTransactionKind: true });
	const user = Ed25519Keypair.generate();
	const { body } = await handRequest({
		user,
		packageId: PKG,
		txBytes,
		...(options.creationTimeMs !== undefined ? { creationTimeMs: options.creationTimeMs } : {}),
		...(options.wrongSigner ? { certificateSigner: Ed25519Keypair.generate() } : {}),
	});
	return { body, user: user.toSuiAddress() };
}

function context(addressAliases: AddressAliasLookup): FetchKeyContext {
	return {
		keys: {
			workers: 0,
			close: async () => {},
			wrap: async (_k, ids) => ids.map(() => [new Uint8Array([1]), new Uint8Array([2])]),
		},
		evaluator: { evaluate: async () => ({ allowed: true }) },
		packages: new StaticPackageResolver([[PKG, PKG]]),
		nowMs: Date.now(),
		ttlMaxMinutes: 30,
		addressAliases,
	};
}

/** A lookup that records the addresses it was asked about. */
function recording(answer: boolean | Error) {
	const asked: string[] = [];
	const lookup: AddressAliasLookup = {
		hasAddressAliases: async (address) => {
			asked.push(address);
			if (answer instanceof Error) throw answer;
			return answer;
		},
	};
	return { lookup, asked };
}

const errorOf = (promise: Promise<unknown>) =>
	promise.then(
		() => undefined,
		(e: KeyServerRequestError) => e.errorName,
	);

describe('fetchKey: the alias check sits between the time check and the user signature', () => {
	it('refuses a correctly signed request from an address with aliases: InvalidSignature', async () => {
		const { body, user } = await signedRequest();
		const request = parseFetchKeyRequest(body, nobleBackend);
		const aliased = recording(true);
		expect(await errorOf(fetchKey(request, context(aliased.lookup)))).toBe('InvalidSignature');
		expect(aliased.asked).toEqual([user]);
		const plain = recording(false);
		const outcome = await fetchKey(request, context(plain.lookup));
		expect(outcome.response.decryption_keys).toHaveLength(1);
	});

	it('runs after the certificate time check: an expired certificate never reaches the node', async () => {
		const { body } = await signedRequest({ creationTimeMs: Date.now() - 60 * 60_000 });
		const lookup = recording(true);
		const request = parseFetchKeyRequest(body, nobleBackend);
		expect(await errorOf(fetchKey(request, context(lookup.lookup)))).toBe('InvalidCertificate');
		expect(lookup.asked).toEqual([]);
	});

	it('runs before the user signature: a node failure wins over a bad signature', async () => {
		const { body } = await signedRequest({ wrongSigner: true });
		const request = parseFetchKeyRequest(body, nobleBackend);
		const down = recording(new Error('node down'));
		expect(await errorOf(fetchKey(request, context(down.lookup)))).toBe('Failure');
		expect(await errorOf(fetchKey(request, context(recording(false).lookup)))).toBe(
			'InvalidSignature',
		);
	});
});

describe.each(TRANSPORTS)('key server with a %s full node: alias check by default', (transport) => {
	let server: RunningKeyServer | undefined;
	afterEach(async () => {
		await server?.close();
		server = undefined;
	});

	it('answers 403 InvalidSignature for a user with aliases, keys for one without', async () => {
		const aliased = await signedRequest();
		const plain = await signedRequest();
		const node = objectNode(transport, { objects: aliasObject(aliased.user) });
		server = await startKeyServer({
			masterKey: generateMasterKey(),
			objectId: `0x${'0c'.repeat(32)}`,
			evaluator: new FixedEvaluator().allow('01'),
			packages: new StaticPackageResolver([[PKG, PKG]]),
			suiClient: node.client,
			workers: 0,
		});
		const refused = await postFetchKey(server.url, aliased.body);
		expect(refused.status).toBe(403);
		expect(refused.json).toEqual({ error: 'InvalidSignature', message: 'Invalid user signature' });
		const served = await postFetchKey(server.url, plain.body);
		expect(served.status).toBe(200);
		expect(node.asked).toEqual([
			addressAliasesObjectId(aliased.user),
			addressAliasesObjectId(plain.user),
		]);
	});
});
