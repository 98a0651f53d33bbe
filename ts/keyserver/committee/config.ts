/**
 * `server_mode: !Committee` of Mysten's key-server-config.yaml (MystenLabs/seal
 * crates/key-server/src/key_server_options.rs `ServerMode::Committee` and `CommitteeState`,
 * ddc7e5d6): `member_address`, `key_server_obj_id` (both `Address`), `committee_state: Active |
 * !Rotation { target_version: u32 }` (serde_yaml takes a unit variant plain or tagged).
 */
import { isMap, isScalar, type Node } from 'yaml';
import { InvalidInputError } from '../../errors.js';

export type CommitteeState = { kind: 'Active' } | { kind: 'Rotation'; targetVersion: number };

export interface CommitteeModeConfig {
	memberAddress: string;
	keyServerObjectId: string;
	state: CommitteeState;
}

function fail(what: string): never {
	throw new InvalidInputError('config', what);
}

export function parseCommitteeMode(mode: Node): CommitteeModeConfig {
	if (!isMap(mode)) {
		fail('server_mode !Committee needs member_address, key_server_obj_id and committee_state');
	}
	const field = (key: string) => mode.get(key, true) as Node | undefined;
	return {
		memberAddress: address(field('member_address'), 'server_mode.member_address'),
		keyServerObjectId: address(field('key_server_obj_id'), 'server_mode.key_server_obj_id'),
		state: committeeState(field('committee_state')),
	};
}

function committeeState(node: Node | undefined): CommitteeState {
	const where = 'server_mode.committee_state';
	if (node === undefined) fail(`${where} is required (Active or !Rotation { target_version })`);
	const tag = node.tag?.replace(/^!/, '');
	const plain = isScalar(node) && node.tag === undefined ? node.value : undefined;
	const name = tag ?? plain;
	if (name === 'Active') {
		if (isMap(node)) fail(`${where}: Active takes no fields`);
		return { kind: 'Active' };
	}
	if (name === 'Rotation') {
		if (!isMap(node)) fail(`${where}: !Rotation needs target_version`);
		const target = node.get('target_version', true) as Node | undefined;
		const value = target && isScalar(target) ? target.value : undefined;
		if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
			fail(`${where}.target_version must be an integer in 0..4294967295`);
		}
		// master_keys.rs refuses 0 when loading: there is no version before it.
		if (value === 0) fail(`${where}: Invalid rotation config: target_version cannot be 0`);
		return { kind: 'Rotation', targetVersion: value };
	}
	fail(`${where} must be Active or !Rotation { target_version }, got '${String(name)}'`);
}

function address(node: Node | undefined, field: string): string {
	// An unquoted 0x… is a YAML integer: its source text is the address as written.
	const value =
		node && isScalar(node) && node.value !== null
			? typeof node.value === 'string'
				? node.value
				: (node.source ?? String(node.value))
			: undefined;
	if (value === undefined || !/^0x[0-9a-fA-F]{1,64}$/.test(value)) {
		fail(`${field} must be an address (0x + up to 64 hex digits)`);
	}
	return `0x${value.slice(2).toLowerCase().padStart(64, '0')}`;
}
