/**
 * Every child process a localnet state records besides the node, in start order: independent key
 * servers, committee members, the aggregator, the permissioned server. `down` and `status` walk
 * this one list, so a new kind of part cannot be forgotten by one of them.
 */
import type { LocalnetState } from './state.js';

export type StackPartKind =
	'key server' | 'committee member' | 'aggregator' | 'permissioned server';

export interface StackPart {
	part: string;
	kind: StackPartKind;
	pid: number | undefined;
	url: string;
	logFile: string;
	detail: string;
	/** Forgets the pid in the state (after `down` stopped it). */
	clear: () => void;
}

export function stackParts(state: LocalnetState): StackPart[] {
	const parts: StackPart[] = state.keyServers.map((server) => ({
		part: server.name,
		kind: 'key server',
		pid: server.pid,
		url: server.url,
		logFile: server.logFile,
		detail: `${server.url} ${server.objectId} (${server.implementation})`,
		clear: () => (server.pid = undefined),
	}));
	const committee = state.committee;
	if (committee) {
		for (const member of committee.members) {
			parts.push({
				part: member.name,
				kind: 'committee member',
				pid: member.pid,
				url: member.url,
				logFile: member.logFile,
				detail: `${member.url} party ${member.partyId} of ${committee.threshold}-of-${committee.size} ${committee.objectId} (${member.implementation})`,
				clear: () => (member.pid = undefined),
			});
		}
		const aggregator = committee.aggregator;
		if (aggregator) {
			parts.push({
				part: aggregator.name,
				kind: 'aggregator',
				pid: aggregator.pid,
				url: aggregator.url,
				logFile: aggregator.logFile,
				detail: `${aggregator.url} for ${committee.objectId} (${aggregator.implementation})`,
				clear: () => (aggregator.pid = undefined),
			});
		}
	}
	const permissioned = state.permissioned;
	if (permissioned) {
		parts.push({
			part: permissioned.name,
			kind: 'permissioned server',
			pid: permissioned.pid,
			url: permissioned.url,
			logFile: permissioned.logFile,
			detail: `${permissioned.url} client ${permissioned.clientName} ${permissioned.objectId} (${permissioned.implementation})`,
			clear: () => (permissioned.pid = undefined),
		});
	}
	return parts;
}
