/**
 * What `localnet up` stands up: independent Open key servers, optionally one committee (t-of-n
 * members behind an aggregator, one on-chain `KeyServer` of type Committee) and optionally one
 * Permissioned server, all under one client threshold. Each independent server, the committee and
 * the permissioned server weigh 1 in the client config, so the client threshold counts them.
 * Everything here is checked before anything starts.
 */
import { LocalnetTopologyError } from './errors.js';

/** Independent servers `up` starts when no committee or permissioned server is asked for. */
export const DEFAULT_SERVER_COUNT = 3;
/** Client threshold when none is given (capped at the total weight). */
export const DEFAULT_THRESHOLD = 2;
/** Most independent servers, and most committee members. */
export const MAX_SERVERS = 20;

/** A committee's own threshold and size (Seal's `key_server::create_committee_v2`). */
export interface CommitteeShape {
	threshold: number;
	size: number;
}

export interface LocalnetTopology {
	/** Independent Open servers (0 allowed when a committee or permissioned server is there). */
	serverCount: number;
	committee: CommitteeShape | undefined;
	permissioned: boolean;
	/** Client threshold over the total weight (independent + committee + permissioned). */
	threshold: number;
}

export interface TopologyRequest {
	serverCount?: number | undefined;
	committee?: CommitteeShape | undefined;
	permissioned?: boolean | undefined;
	threshold?: number | undefined;
}

/**
 * `T-of-N` (e.g. `2-of-3`). Seal's `key_server::validate_partial_key_servers` aborts unless
 * `threshold > 1` and `n >= threshold` (move/seal/sources/key_server.move), so those are refused
 * here with the reason instead of as a Move abort.
 */
export function parseCommitteeShape(text: string, field = '--committee'): CommitteeShape {
	const match = /^([1-9][0-9]?)-of-([1-9][0-9]?)$/.exec(text.trim());
	if (!match) {
		throw new LocalnetTopologyError(field, `expected T-of-N such as 2-of-3, got '${text}'`);
	}
	const shape = { threshold: Number(match[1]), size: Number(match[2]) };
	checkCommitteeShape(shape, field);
	return shape;
}

function checkCommitteeShape(shape: CommitteeShape, field: string): void {
	const { threshold, size } = shape;
	if (!Number.isInteger(size) || size < 2 || size > MAX_SERVERS) {
		throw new LocalnetTopologyError(field, `committee size must be 2..${MAX_SERVERS}, got ${size}`);
	}
	if (!Number.isInteger(threshold) || threshold < 2 || threshold > size) {
		throw new LocalnetTopologyError(
			field,
			`committee threshold must be 2..${size} (Seal's key_server module refuses a threshold of 1 or above the member count), got ${threshold}`,
		);
	}
}

/** Total client weight of a topology: each server, the committee and the permissioned server 1. */
export function topologyWeight(
	topology: Pick<LocalnetTopology, 'serverCount' | 'committee' | 'permissioned'>,
): number {
	return topology.serverCount + (topology.committee ? 1 : 0) + (topology.permissioned ? 1 : 0);
}

/**
 * The topology `up` builds from its flags. Without `--committee`/`--permissioned` it is the
 * classic n independent servers (default 3); with either, independent servers default to 0.
 * The client threshold defaults to min(2, total weight).
 */
export function resolveTopology(request: TopologyRequest): LocalnetTopology {
	const committee = request.committee;
	if (committee) checkCommitteeShape(committee, '--committee');
	const permissioned = request.permissioned ?? false;
	const serverCount = request.serverCount ?? (committee || permissioned ? 0 : DEFAULT_SERVER_COUNT);
	if (!Number.isInteger(serverCount) || serverCount < 0 || serverCount > MAX_SERVERS) {
		throw new LocalnetTopologyError(
			'--server-count',
			`expected 0..${MAX_SERVERS}, got ${serverCount}`,
		);
	}
	const weight = topologyWeight({ serverCount, committee, permissioned });
	if (weight === 0) {
		throw new LocalnetTopologyError(
			'--server-count',
			'0 independent servers needs --committee T-of-N or --permissioned (a stack needs a key server)',
		);
	}
	const threshold = request.threshold ?? Math.min(DEFAULT_THRESHOLD, weight);
	if (!Number.isInteger(threshold) || threshold < 1 || threshold > weight) {
		throw new LocalnetTopologyError(
			'--threshold',
			`${threshold} is more than the ${weight} key server(s) of this topology (${describeServers({ serverCount, committee, permissioned })}, each weight 1); use 1..${weight}`,
		);
	}
	return { serverCount, committee, permissioned, threshold };
}

/** `2 independent + committee 2-of-3 + permissioned`. */
export function describeServers(
	topology: Pick<LocalnetTopology, 'serverCount' | 'committee' | 'permissioned'>,
): string {
	const parts: string[] = [];
	if (topology.serverCount > 0) parts.push(`${topology.serverCount} independent`);
	if (topology.committee)
		parts.push(`committee ${topology.committee.threshold}-of-${topology.committee.size}`);
	if (topology.permissioned) parts.push('permissioned');
	return parts.join(' + ');
}

/** The 127.0.0.1 ports of each part, consecutive from `basePort` in this order. */
export interface TopologyPorts {
	independent: number[];
	members: number[];
	aggregator: number | undefined;
	permissioned: number | undefined;
	all: number[];
}

export function topologyPorts(topology: LocalnetTopology, basePort: number): TopologyPorts {
	let next = basePort;
	const take = (count: number) => Array.from({ length: count }, () => next++);
	const independent = take(topology.serverCount);
	const members = take(topology.committee?.size ?? 0);
	const aggregator = topology.committee ? take(1)[0] : undefined;
	const permissioned = topology.permissioned ? take(1)[0] : undefined;
	const all = [
		...independent,
		...members,
		...(aggregator === undefined ? [] : [aggregator]),
		...(permissioned === undefined ? [] : [permissioned]),
	];
	if ((all.at(-1) ?? basePort) > 65_535) {
		throw new LocalnetTopologyError('--port', `${basePort} leaves no room for ${all.length} ports`);
	}
	return { independent, members, aggregator, permissioned, all };
}
