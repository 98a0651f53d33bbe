/**
 * MVR objects in the node's shapes, built byte by byte from the Move struct definitions
 * (MystenLabs/mvr packages/mvr/sources/{name,app_record,app_info}.move and
 * packages/package_info/sources/package_info.move at b4771074), independently of the key
 * server's own BCS types. Registry entries are `Field<Name, AppRecord>` objects owned by the
 * registry table; package infos are `PackageInfo` objects.
 */
import { MVR_REGISTRY_ID, mvrRecordId, parseMvrName } from '../../ts/keyserver/mvr.js';
import fixture from '../fixtures/mvr-mainnet-record.json' with { type: 'json' };
import type { NodeObject } from './object-node.js';

const uleb = (n: number) => {
	const out: number[] = [];
	do {
		let byte = n & 0x7f;
		n >>>= 7;
		if (n) byte |= 0x80;
		out.push(byte);
	} while (n);
	return Buffer.from(out);
};
const str = (s: string) => Buffer.concat([uleb(Buffer.byteLength(s)), Buffer.from(s)]);
const addr = (a: string) => Buffer.from(a.slice(2).padStart(64, '0'), 'hex');
const some = (a: string | undefined) =>
	a ? Buffer.concat([Buffer.from([1]), addr(a)]) : Buffer.from([0]);
const vec = (items: Buffer[]) => Buffer.concat([uleb(items.length), ...items]);

/** BCS `AppInfo`. */
export const appInfo = (i: {
	packageInfoId?: string;
	packageAddress?: string;
	upgradeCapId?: string;
}) => Buffer.concat([some(i.packageInfoId), some(i.packageAddress), some(i.upgradeCapId)]);

/** BCS `Name` of `@<org>/<app>`. */
const nameBytes = (org: string, app: string) =>
	Buffer.concat([vec([str('sui'), str(org)]), vec([str(app)])]);

export const PACKAGE_INFO_ID = `0x${'1f'.repeat(32)}`;
export const TESTNET_PACKAGE = `0x${'7e'.repeat(32)}`;
export const FIELD_TYPE = fixture.type;
export const PACKAGE_INFO_TYPE = `0x${'0b'.repeat(32)}::package_info::PackageInfo`;
/** Key of testnet entries in `AppRecord.networks`. */
export const TESTNET = '4c78adac';

export interface RecordParts {
	appInfo?: Buffer;
	networks?: [string, Buffer][];
}

/** Field<Name, AppRecord> contents for `@<org>/<app>` (app_record.move field order). */
export function recordContents(org: string, app: string, record: RecordParts): Uint8Array {
	return Buffer.concat([
		addr(mvrRecordId(parseMvrName(`@${org}/${app}`)!)),
		nameBytes(org, app),
		addr(`0x${'c1'.repeat(32)}`), // app_cap_id
		addr(`0x${'c2'.repeat(32)}`), // ns_nft_id
		record.appInfo ? Buffer.concat([Buffer.from([1]), record.appInfo]) : Buffer.from([0]),
		vec((record.networks ?? []).map(([key, info]) => Buffer.concat([str(key), info]))),
		vec([]), // metadata
		addr(`0x${'c3'.repeat(32)}`), // storage UID
	]);
}

/** The registry entry object of `@<org>/<app>`, by id. */
export const registryEntry = (org: string, app: string, parts: RecordParts) => ({
	[mvrRecordId(parseMvrName(`@${org}/${app}`)!)]: {
		type: FIELD_TYPE,
		contents: recordContents(org, app, parts),
		owner: { address: MVR_REGISTRY_ID },
	} satisfies NodeObject,
});

/** PackageInfo contents (package_info.move field order) with `metadata` entries. */
export function packageInfoContents(
	metadata: [string, string][],
	packageAddress = TESTNET_PACKAGE,
): Buffer {
	return Buffer.concat([
		addr(PACKAGE_INFO_ID),
		...['#000', '#fff', '#111', 'Demo', 'Demo'].map(str), // PackageDisplay
		addr(`0x${'c4'.repeat(32)}`), // upgrade_cap_id
		addr(packageAddress),
		vec(metadata.map(([k, v]) => Buffer.concat([str(k), str(v)]))),
		addr(`0x${'c5'.repeat(32)}`), // git_versioning: Table { id, size }
		Buffer.alloc(8),
	]);
}

/** The PackageInfo object at `PACKAGE_INFO_ID`, by id. */
export const packageInfoObject = (metadata: [string, string][], packageAddress?: string) => ({
	[PACKAGE_INFO_ID]: {
		type: PACKAGE_INFO_TYPE,
		contents: packageInfoContents(metadata, packageAddress),
	} satisfies NodeObject,
});
