/**
 * MVR names in certificates, as Mysten's key server resolves them (seal crates/key-server/src/
 * mvr.rs and externals.rs at ddc7e5d6): the name grammar (mvr_types at b4771074), the registry
 * entry id, mainnet and testnet resolution over both node transports with objects in the
 * node's answer shapes (tests/support/object-node.ts), the error per failure, the cache, and
 * the place of the check in `fetch_key`.
 *
 * The mainnet registry entry is real chain data (tests/fixtures/mvr-mainnet-record.json, from
 * MystenLabs/mvr's indexer test checkpoint); testnet objects are built byte by byte below from
 * the Move struct definitions (mvr packages/mvr/sources/app_record.move, app_info.move and
 * packages/package_info/sources/package_info.move at b4771074), not from our BCS types.
 */
import type { ClientWithCoreApi } from '@mysten/sui/client';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Transaction } from '@mysten/sui/transactions';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../ts/errors.js';
import { KeyServerRequestError } from '../../../ts/keyserver/errors.js';
import { nobleBackend } from '../../../ts/keyserver/curve/noble.js';
import { fetchKey, type FetchKeyContext } from '../../../ts/keyserver/fetch-key.js';
import {
	checkMvrName,
	MVR_REGISTRY_ID,
	MVR_UNSUPPORTED,
	mvrRecordId,
	MvrResolver,
	parseMvrName,
	type MvrLookup,
} from '../../../ts/keyserver/mvr.js';
import { StaticPackageResolver } from '../../../ts/keyserver/packages.js';
import { parseFetchKeyRequest } from '../../../ts/keyserver/request.js';
import fixture from '../../fixtures/mvr-mainnet-record.json' with { type: 'json' };
import { handRequest } from '../../support/fetch-key-request.js';
import {
	appInfo,
	FIELD_TYPE,
	PACKAGE_INFO_ID,
	PACKAGE_INFO_TYPE,
	packageInfoContents,
	packageInfoObject,
	registryEntry,
	TESTNET_PACKAGE,
} from '../../support/mvr-objects.js';
import { objectNode, TRANSPORTS, type NodeObject } from '../../support/object-node.js';

const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));

async function outcome(promise: Promise<unknown>): Promise<unknown> {
	return promise.then(
		(value) => value,
		(error: unknown) =>
			error instanceof KeyServerRequestError ? error.errorName : `other: ${String(error)}`,
	);
}

/** The `Failure` detail kept for the log (the cause's message), or the error name otherwise. */
async function failureDetail(promise: Promise<unknown>): Promise<string> {
	const error = await promise.then(
		() => undefined,
		(e: unknown) => e,
	);
	if (!(error instanceof KeyServerRequestError)) return `not a key-server error: ${String(error)}`;
	if (error.errorName !== 'Failure') return error.errorName;
	return (error.cause as Error).message;
}

describe('MVR name grammar (mvr_types VersionedName::from_str)', () => {
	it('accepts the names upstream accepts, with the org as SuiNS labels, TLD first', () => {
		expect(parseMvrName('@org/app')).toEqual({
			orgLabels: ['sui', 'org'],
			app: 'app',
			version: undefined,
		});
		expect(parseMvrName('org.sui/app')).toEqual(parseMvrName('@org/app'));
		expect(parseMvrName('inner@org/app')?.orgLabels).toEqual(['sui', 'org', 'inner']);
		expect(parseMvrName('even.more.nested@org/app')?.orgLabels).toEqual([
			'sui',
			'org',
			'nested',
			'more',
			'even',
		]);
		expect(parseMvrName('@org/app/34')?.version).toBe('34');
		const ok = ['@org/1-app/1', '@org/1-app', '@org/a--b', `@${'a'.repeat(63)}/${'b'.repeat(63)}`];
		for (const name of ok) expect(parseMvrName(name), name).toBeDefined();
	});

	it('refuses the names upstream refuses', () => {
		const bad = [
			// mvr-types name.rs `parse_some_names` and seal mvr.rs `test_mvr_names`
			'@org/-app',
			'@org/1.app',
			'@org/app-',
			'@org/app--',
			'@org/app?',
			'@org/app/',
			'@org/app/v',
			'@org',
			'@/veh/app',
			'app',
			'@',
			'@org/ap@',
			'!org/ap',
			'!@org/app',
			' @org/app',
			'org@/app',
			'@org/app ',
			'org/@app',
			'',
			' ',
			'saemundur/seal',
			'saemundur',
			MVR_REGISTRY_ID,
			// label and domain limits (name_service.rs)
			`@org/${'a'.repeat(64)}`,
			`@${'a'.repeat(64)}/app`,
			`${'a.'.repeat(99)}abc/app`, // 201 characters of org
			'a@b@c/app',
			'sub@org.x/app',
			'org.sui@/app',
			'.org/app',
			'org..sui/app',
			'@Org/app',
		];
		for (const name of bad) expect(parseMvrName(name), name).toBeUndefined();
		// Exactly 200 characters of org is still a domain (the limit is on longer ones).
		expect(parseMvrName(`${'a.'.repeat(99)}ab/app`)?.orgLabels).toHaveLength(100);
	});
});

describe('registry entry id', () => {
	it('is the dynamic field of the registry table keyed by BCS Name (a real mainnet entry)', () => {
		const name = parseMvrName(fixture.name);
		expect(name).toBeDefined();
		expect(mvrRecordId(name!)).toBe(fixture.objectId);
	});
});

const MAINNET_PACKAGE = fixture.withAppInfo.packageAddress;
const record = registryEntry;

const mainnetEntry = (version: 'withAppInfo' | 'withoutAppInfo', contents?: Uint8Array) => ({
	[fixture.objectId]: {
		type: FIELD_TYPE,
		contents: contents ?? hex(fixture[version].contents),
		version: fixture[version].version,
		owner: { address: MVR_REGISTRY_ID },
	} satisfies NodeObject,
});

describe.each(TRANSPORTS)('mainnet resolution over %s', (transport) => {
	const resolver = (objects: Record<string, NodeObject>, down = false) => {
		const node = objectNode(transport, { objects, down });
		return { node, mvr: new MvrResolver({ network: 'Mainnet', client: node.client }) };
	};

	it("reads the registry entry's app_info.package_address (real entry)", async () => {
		const { node, mvr } = resolver(mainnetEntry('withAppInfo'));
		expect(await mvr.packageId(fixture.name)).toBe(MAINNET_PACKAGE);
		expect(node.asked).toEqual([fixture.objectId]);
	});

	it('an entry without app_info (not on mainnet), or no entry at all → InvalidMVRName', async () => {
		expect(
			await outcome(resolver(mainnetEntry('withoutAppInfo')).mvr.packageId(fixture.name)),
		).toBe('InvalidMVRName');
		expect(await outcome(resolver({}).mvr.packageId('@nobody/app'))).toBe('InvalidMVRName');
	});

	it('app_info without package_address → Failure', async () => {
		const { mvr } = resolver(
			record('org', 'app', { appInfo: appInfo({ packageInfoId: PACKAGE_INFO_ID }) }),
		);
		expect(await failureDetail(mvr.packageId('@org/app'))).toBe(
			'No package_address on app_info for @org/app',
		);
	});

	it('an invalid or versioned name → InvalidMVRName without asking the node', async () => {
		const { node, mvr } = resolver(mainnetEntry('withAppInfo'));
		expect(await outcome(mvr.packageId('invalid_name'))).toBe('InvalidMVRName');
		expect(await outcome(mvr.packageId(`${fixture.name}/1`))).toBe('InvalidMVRName');
		expect(node.asked).toEqual([]);
	});

	it('contents that are not exactly Field<Name, AppRecord> → InvalidPackage', async () => {
		const good = hex(fixture.withAppInfo.contents);
		const longer = Buffer.concat([good, Buffer.from([0])]);
		const shorter = good.slice(0, -1);
		for (const contents of [longer, shorter, Uint8Array.from([1, 2, 3])]) {
			const { mvr } = resolver(mainnetEntry('withAppInfo', contents));
			expect(await outcome(mvr.packageId(fixture.name))).toBe('InvalidPackage');
		}
	});

	it('a node that cannot answer → Failure (with the node error kept for the log)', async () => {
		const { mvr } = resolver(mainnetEntry('withAppInfo'), true);
		const error = await mvr.packageId(fixture.name).catch((e: KeyServerRequestError) => e);
		expect(error).toMatchObject({ errorName: 'Failure' });
		const cause = (error as KeyServerRequestError).cause as Error;
		expect(cause.message).toMatch(/^Failed to get dynamic field object from MVR registry: \S/);
		expect(cause.cause).toBeInstanceOf(Error);
		expect(cause.message).toContain((cause.cause as Error).message);
	});

	it('a client failing with a non-error still answers Failure', async () => {
		const odd = { core: { getObject: () => Promise.reject(null) } } as unknown as ClientWithCoreApi;
		const mvr = new MvrResolver({ network: 'mainnet', client: odd });
		expect(await failureDetail(mvr.packageId('@org/app'))).toBe(
			'Failed to get dynamic field object from MVR registry',
		);
	});

	it('times each node call by itself', async () => {
		const node = objectNode(transport, { objects: mainnetEntry('withAppInfo') });
		const rpc: [string, boolean, number][] = [];
		const mvr = new MvrResolver({
			network: 'mainnet',
			client: node.client,
			onRpc: (...a) => rpc.push(a),
		});
		const before = performance.now();
		await mvr.packageId(fixture.name);
		await mvr.packageId('@nobody/app').catch(() => undefined);
		const elapsed = performance.now() - before;
		expect(rpc.map(([method, ok]) => [method, ok])).toEqual([
			['get_object', true],
			['get_object', false],
		]);
		for (const [, , ms] of rpc) expect(ms).toBeGreaterThanOrEqual(0);
		for (const [, , ms] of rpc) expect(ms).toBeLessThanOrEqual(elapsed);
	});
});

describe.each(TRANSPORTS)('testnet resolution over %s', (transport) => {
	/** Registry on a mainnet node, package info on the testnet node. */
	function setup(
		registryObjects: Record<string, NodeObject>,
		testnetObjects: Record<string, NodeObject>,
		options: { testnetDown?: boolean; registryDown?: boolean } = {},
	) {
		const registry = objectNode(transport, {
			objects: registryObjects,
			...(options.registryDown ? { down: true } : {}),
		});
		const testnet = objectNode(transport, {
			objects: testnetObjects,
			...(options.testnetDown ? { down: true } : {}),
		});
		const rpc: [string, boolean][] = [];
		const mvr = new MvrResolver({
			network: 'testnet',
			client: testnet.client,
			registryClient: registry.client,
			onRpc: (method, ok) => rpc.push([method, ok]),
		});
		return { registry, testnet, mvr, rpc };
	}
	const onTestnet = (info: Buffer) => record('org', 'app', { networks: [['4c78adac', info]] });
	const packageInfo = (metadata: [string, string][]) => packageInfoObject(metadata);

	it("follows networks['4c78adac'].package_info_id to the testnet PackageInfo", async () => {
		const { registry, testnet, mvr, rpc } = setup(
			onTestnet(
				appInfo({ packageInfoId: PACKAGE_INFO_ID, packageAddress: `0x${'99'.repeat(32)}` }),
			),
			packageInfo([
				['other', 'x'],
				['default', '@org/app'],
			]),
		);
		// The record's own package_address is not trusted on testnet: the PackageInfo's is.
		expect(await mvr.packageId('@org/app')).toBe(TESTNET_PACKAGE);
		expect(registry.asked).toEqual([mvrRecordId(parseMvrName('@org/app')!)]);
		expect(testnet.asked).toEqual([PACKAGE_INFO_ID]);
		expect(rpc).toEqual([
			['get_object', true],
			['get_object', true],
		]);
	});

	it("a PackageInfo whose 'default' name differs → InvalidMVRName; none → Failure", async () => {
		const other = setup(
			onTestnet(appInfo({ packageInfoId: PACKAGE_INFO_ID })),
			packageInfo([['default', '@org/other']]),
		);
		expect(await outcome(other.mvr.packageId('@org/app'))).toBe('InvalidMVRName');
		// The name is compared as written: the dotted spelling of the same name does not match.
		const dotted = setup(
			onTestnet(appInfo({ packageInfoId: PACKAGE_INFO_ID })),
			packageInfo([['default', '@org/app']]),
		);
		expect(await outcome(dotted.mvr.packageId('org.sui/app'))).toBe('InvalidMVRName');
		const none = setup(onTestnet(appInfo({ packageInfoId: PACKAGE_INFO_ID })), packageInfo([]));
		expect(await failureDetail(none.mvr.packageId('@org/app'))).toBe(
			"No 'default' field on package_info object",
		);
	});

	it('no testnet entry → InvalidMVRName; an entry without package_info_id → Failure', async () => {
		const mainnetOnly = setup(
			record('org', 'app', {
				appInfo: appInfo({ packageAddress: MAINNET_PACKAGE }),
				networks: [['35834a8a', appInfo({ packageInfoId: PACKAGE_INFO_ID })]],
			}),
			packageInfo([['default', '@org/app']]),
		);
		expect(await outcome(mainnetOnly.mvr.packageId('@org/app'))).toBe('InvalidMVRName');
		expect(mainnetOnly.testnet.asked).toEqual([]);
		const noInfo = setup(onTestnet(appInfo({ packageAddress: TESTNET_PACKAGE })), {});
		expect(await failureDetail(noInfo.mvr.packageId('@org/app'))).toBe(
			'No package info ID for MVR name @org/app on testnet',
		);
	});

	it('the PackageInfo missing or unreadable on testnet → Failure; malformed → InvalidPackage', async () => {
		const entry = onTestnet(appInfo({ packageInfoId: PACKAGE_INFO_ID }));
		expect(await failureDetail(setup(entry, {}).mvr.packageId('@org/app'))).toMatch(
			new RegExp(`^Failed to get object ${PACKAGE_INFO_ID}: \\S`),
		);
		const down = setup(entry, packageInfo([['default', '@org/app']]), { testnetDown: true });
		expect(await outcome(down.mvr.packageId('@org/app'))).toBe('Failure');
		expect(down.rpc).toEqual([
			['get_object', true],
			['get_object', false],
		]);
		const malformed = setup(entry, {
			[PACKAGE_INFO_ID]: {
				type: PACKAGE_INFO_TYPE,
				contents: packageInfoContents([['default', '@org/app']]).subarray(1),
			},
		});
		expect(await outcome(malformed.mvr.packageId('@org/app'))).toBe('InvalidPackage');
	});

	it('the registry is read on the mainnet node, never on the testnet one', async () => {
		const { registry, testnet, mvr } = setup({}, onTestnet(appInfo({})));
		expect(await outcome(mvr.packageId('@org/app'))).toBe('InvalidMVRName');
		expect(registry.asked).toHaveLength(1);
		expect(testnet.asked).toEqual([]);
		const down = setup({}, {}, { registryDown: true });
		expect(await outcome(down.mvr.packageId('@org/app'))).toBe('Failure');
	});
});

describe('MvrResolver: networks and cache', () => {
	it('any network but mainnet/testnet → Failure, before even reading the name', async () => {
		for (const network of ['localnet', 'devnet', 'Devnet', '']) {
			const node = objectNode('grpc', {});
			const mvr = new MvrResolver({ network, client: node.client });
			expect(await failureDetail(mvr.packageId('@org/app'))).toBe(
				'MVR names are resolved only on mainnet and testnet',
			);
			expect(await outcome(mvr.packageId('not a name'))).toBe('Failure');
			expect(node.asked).toEqual([]);
		}
		expect(await failureDetail(MVR_UNSUPPORTED.packageId('@org/app'))).toBe(
			'MVR names are resolved only on mainnet and testnet',
		);
	});

	it('testnet needs a mainnet client for the registry', () => {
		const { client } = objectNode('grpc', {});
		expect(() => new MvrResolver({ network: 'Testnet', client })).toThrow(InvalidInputError);
		expect(() => new MvrResolver({ network: 'Testnet', client })).toThrow(/^registryClient: /);
		expect(() => new MvrResolver({ network: 'TESTNET', client })).toThrow(
			/mainnet client \(https:\/\/fullnode\.mainnet\.sui\.io:443\)/,
		);
		expect(() => new MvrResolver({ network: 'mainnet', client })).not.toThrow();
	});

	it('caches an answer for one hour; errors are not cached', async () => {
		let now = 1_000_000;
		const node = objectNode('jsonrpc', { objects: mainnetEntry('withAppInfo') });
		const mvr = new MvrResolver({ network: 'mainnet', client: node.client, now: () => now });
		expect(await mvr.packageId(fixture.name)).toBe(MAINNET_PACKAGE);
		now += 60 * 60_000 - 1;
		expect(await mvr.packageId(fixture.name)).toBe(MAINNET_PACKAGE);
		expect(node.asked).toHaveLength(1);
		now += 1;
		expect(await mvr.packageId(fixture.name)).toBe(MAINNET_PACKAGE);
		expect(node.asked).toHaveLength(2);
		expect(await outcome(mvr.packageId('@nobody/app'))).toBe('InvalidMVRName');
		expect(await outcome(mvr.packageId('@nobody/app'))).toBe('InvalidMVRName');
		expect(node.asked).toHaveLength(4);
	});

	it('a deleted registry entry is no entry: InvalidMVRName', async () => {
		const id = mvrRecordId(parseMvrName('@org/app')!);
		const node = objectNode('jsonrpc', { errors: { [id]: 'deleted' } });
		const mvr = new MvrResolver({ network: 'mainnet', client: node.client });
		expect(await outcome(mvr.packageId('@org/app'))).toBe('InvalidMVRName');
	});

	it('an expired name resolved again counts as just used', async () => {
		let now = 0;
		const objects: Record<string, NodeObject> = {};
		const names = Array.from({ length: 1001 }, (_, i) => `app${i}`);
		for (const app of names) {
			Object.assign(
				objects,
				record('org', app, { appInfo: appInfo({ packageAddress: MAINNET_PACKAGE }) }),
			);
		}
		const node = objectNode('jsonrpc', { objects });
		const mvr = new MvrResolver({ network: 'mainnet', client: node.client, now: () => now });
		await mvr.packageId('@org/app0');
		now = 2 * 60 * 60_000; // app0 expired
		for (const app of names.slice(1, 1000)) await mvr.packageId(`@org/${app}`);
		await mvr.packageId('@org/app0'); // resolved again: now the most recently used
		await mvr.packageId('@org/app1000'); // evicts app1, not app0
		const asked = node.asked.length;
		await mvr.packageId('@org/app0');
		expect(node.asked).toHaveLength(asked);
		await mvr.packageId('@org/app1');
		expect(node.asked).toHaveLength(asked + 1);
	});

	it('keeps the 1000 most recently used names', async () => {
		const objects: Record<string, NodeObject> = {};
		const names = Array.from({ length: 1001 }, (_, i) => `app${i}`);
		for (const app of names) {
			Object.assign(
				objects,
				record('org', app, { appInfo: appInfo({ packageAddress: MAINNET_PACKAGE }) }),
			);
		}
		const node = objectNode('jsonrpc', { objects });
		const mvr = new MvrResolver({ network: 'mainnet', client: node.client });
		for (const app of names.slice(0, 1000)) await mvr.packageId(`@org/${app}`);
		await mvr.packageId('@org/app0'); // now the most recently used
		await mvr.packageId('@org/app1000'); // evicts app1, the least recently used
		expect(node.asked).toHaveLength(1001);
		await mvr.packageId('@org/app0');
		await mvr.packageId('@org/app999');
		expect(node.asked).toHaveLength(1001);
		await mvr.packageId('@org/app1');
		expect(node.asked).toHaveLength(1002);
	});
});

describe('checkMvrName', () => {
	const pointingTo = (packageId: string): MvrLookup => ({ packageId: async () => packageId });
	it('passes when the name points to the first-version id, else InvalidMVRName', async () => {
		expect(await outcome(checkMvrName(pointingTo('0x2'), '@org/app', `0x${'0'.repeat(63)}2`))).toBe(
			undefined,
		);
		expect(await outcome(checkMvrName(pointingTo('0x3'), '@org/app', '0x2'))).toBe(
			'InvalidMVRName',
		);
	});
});

// --- Place in fetch_key ---------------------------------------------------------------------

const PKG = `0x${'0a'.repeat(32)}`;
const UPGRADED = `0x${'0b'.repeat(32)}`;

async function mvrRequest(options: { signed: string; mvrName: string; creationTimeMs?: number }) {
	const tx = new Transaction();
	tx.moveCall({ target: `${UPGRADED}::m::seal_approve`, arguments: [tx.pure.vector('u8', [1])] });
	const { body } = await handRequest({
		user: Ed25519Keypair.generate(),
		packageId: options.signed,
		txBytes: await tx.build({ onlyTransactionKind: true }),
		...(options.creationTimeMs !== undefined ? { creationTimeMs: options.creationTimeMs } : {}),
	});
	(body['certificate'] as Record<string, unknown>)['mvr_name'] = options.mvrName;
	return parseFetchKeyRequest(body, nobleBackend);
}

function context(mvr: MvrLookup): FetchKeyContext {
	return {
		keys: {
			workers: 0,
			close: async () => {},
			wrap: async (_k, ids) => ids.map(() => [new Uint8Array([1]), new Uint8Array([2])]),
		},
		evaluator: { evaluate: async () => ({ allowed: true }) },
		packages: new StaticPackageResolver([[UPGRADED, PKG]]),
		nowMs: Date.now(),
		ttlMaxMinutes: 30,
		mvr,
	};
}

describe('fetchKey with an MVR name', () => {
	const toPkg: MvrLookup = { packageId: async () => PKG };

	it('serves a certificate signed over the name that points to the first-version id', async () => {
		const request = await mvrRequest({ signed: '@org/app', mvrName: '@org/app' });
		const answer = await fetchKey(request, context(toPkg));
		expect(answer.response.decryption_keys).toHaveLength(1);
		expect(answer.originalPackageId).toBe(PKG);
	});

	it('the user must have signed the name, not the package id: else InvalidSignature', async () => {
		const request = await mvrRequest({ signed: PKG, mvrName: '@org/app' });
		expect(await outcome(fetchKey(request, context(toPkg)))).toBe('InvalidSignature');
	});

	it('a name pointing elsewhere → InvalidMVRName, checked before the certificate time', async () => {
		const request = await mvrRequest({
			signed: '@org/app',
			mvrName: '@org/app',
			creationTimeMs: Date.now() - 60 * 60_000,
		});
		const elsewhere: MvrLookup = { packageId: async () => UPGRADED };
		expect(await outcome(fetchKey(request, context(elsewhere)))).toBe('InvalidMVRName');
		expect(await outcome(fetchKey(request, context(toPkg)))).toBe('InvalidCertificate');
	});
});
