/**
 * `localnet up` topology flags: --server-count / --committee T-of-N / --permissioned /
 * --threshold, checked before anything starts. Committee bounds follow Seal's
 * `key_server::validate_partial_key_servers` (threshold > 1, n >= threshold;
 * move/seal/sources/key_server.move at MystenLabs/seal seal-v0.6.10, commit af5e6f45).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLocalnetArgs } from '../../../scripts/commands/localnet.js';
import { usageErrors } from '../../../scripts/args.js';
import { InvalidInputError, UsageError } from '../../../ts/errors.js';
import { LocalnetTopologyError } from '../../../ts/localnet/errors.js';
import {
	describeServers,
	parseCommitteeShape,
	resolveTopology,
	topologyPorts,
	topologyWeight,
} from '../../../ts/localnet/topology.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

describe('--committee T-of-N', () => {
	it('parses T-of-N', () => {
		expect(parseCommitteeShape('2-of-3')).toEqual({ threshold: 2, size: 3 });
		expect(parseCommitteeShape(' 5-of-8 ')).toEqual({ threshold: 5, size: 8 });
	});

	it.each([
		['2of3', /expected T-of-N/],
		['2-of-', /expected T-of-N/],
		['0-of-3', /expected T-of-N/],
		['1-of-3', /threshold must be 2\.\.3/],
		['4-of-3', /threshold must be 2\.\.3/],
		['2-of-21', /size must be 2\.\.20/],
		['-2-of-3', /expected T-of-N/],
	])('refuses %s', (text, message) => {
		expect(() => parseCommitteeShape(text)).toThrow(LocalnetTopologyError);
		expect(() => parseCommitteeShape(text)).toThrow(message);
	});
});

describe('topologies', () => {
	it('keeps the classic default: 3 independent servers, threshold 2', () => {
		expect(resolveTopology({})).toEqual({
			serverCount: 3,
			committee: undefined,
			permissioned: false,
			threshold: 2,
		});
	});

	it('a committee alone has no independent servers and client threshold 1', () => {
		const t = resolveTopology({ committee: { threshold: 2, size: 3 } });
		expect(t).toMatchObject({ serverCount: 0, threshold: 1 });
		expect(topologyWeight(t)).toBe(1);
		expect(describeServers(t)).toBe('committee 2-of-3');
	});

	it('mixed: 2 independent + committee (+ permissioned) under one threshold', () => {
		const t = resolveTopology({
			serverCount: 2,
			committee: { threshold: 2, size: 3 },
			permissioned: true,
			threshold: 3,
		});
		expect(topologyWeight(t)).toBe(4);
		expect(describeServers(t)).toBe('2 independent + committee 2-of-3 + permissioned');
		expect(() =>
			resolveTopology({ serverCount: 2, committee: { threshold: 2, size: 3 }, threshold: 4 }),
		).toThrow(
			/4 is more than the 3 key server\(s\) of this topology \(2 independent \+ committee 2-of-3/,
		);
	});

	it('refuses a stack without any server and out-of-range counts', () => {
		expect(() => resolveTopology({ serverCount: 0 })).toThrow(LocalnetTopologyError);
		expect(() => resolveTopology({ serverCount: 21 })).toThrow(/0\.\.20/);
		expect(() => resolveTopology({ committee: { threshold: 1, size: 3 } })).toThrow(
			/threshold must be 2\.\.3/,
		);
	});

	it('gives each part its own consecutive port', () => {
		const t = resolveTopology({
			serverCount: 2,
			committee: { threshold: 2, size: 3 },
			permissioned: true,
		});
		expect(topologyPorts(t, 2024)).toEqual({
			independent: [2024, 2025],
			members: [2026, 2027, 2028],
			aggregator: 2029,
			permissioned: 2030,
			all: [2024, 2025, 2026, 2027, 2028, 2029, 2030],
		});
		expect(() => topologyPorts(t, 65_530)).toThrow(/no room/);
	});
});

describe('localnet up flags', () => {
	it('--committee and --permissioned reach the request; independent servers default to 0', () => {
		expect(parseLocalnetArgs(['up', '--committee', '2-of-3'])).toEqual({
			action: 'up',
			serverCount: 0,
			threshold: 1,
			basePort: 2024,
			installSui: false,
			committee: { threshold: 2, size: 3 },
		});
		expect(
			parseLocalnetArgs([
				'up',
				'--server-count',
				'2',
				'--committee',
				'2-of-3',
				'--threshold',
				'2',
				'--permissioned',
			]),
		).toEqual({
			action: 'up',
			serverCount: 2,
			threshold: 2,
			basePort: 2024,
			installSui: false,
			committee: { threshold: 2, size: 3 },
			permissioned: true,
		});
		expect(parseLocalnetArgs(['up', '--permissioned', '--server-count', '0'])).toMatchObject({
			serverCount: 0,
			threshold: 1,
			permissioned: true,
		});
	});

	it.each([
		[['up', '--committee', '1-of-3'], '--committee'],
		[['up', '--committee', 'three'], '--committee'],
		[['up', '--server-count', '0'], '--server-count'],
		[['up', '--server-count', '-1'], '--server-count'],
		[['up', '--server-count', '2', '--committee', '2-of-3', '--threshold', '4'], '--threshold'],
		[['up', '--committee', '2-of-3', '--threshold', '2'], '--threshold'],
		[['down', '--committee', '2-of-3'], 'options'],
		[['status', '--permissioned'], 'options'],
	])('%j is a usage error naming %s', (args, field) => {
		let caught: unknown;
		try {
			usageErrors(() => parseLocalnetArgs(args));
		} catch (error) {
			caught = error;
		}
		expect(caught).toBeInstanceOf(UsageError);
		expect((caught as InvalidInputError).field).toBe(field);
	});

	it('the CLI exits 2 with one line for a bad committee, before looking for sui', () => {
		const result = spawnSync(
			process.execPath,
			['--import', 'tsx', 'scripts/cli.ts', 'localnet', 'up', '--committee', '1-of-3'],
			{ cwd: ROOT, env: { ...process.env, PATH: '' }, encoding: 'utf8', timeout: 60_000 },
		);
		expect(result.status).toBe(2);
		const lines = result.stderr.trim().split('\n');
		expect(lines[0]).toMatch(/--committee: committee threshold must be 2\.\.3/);
		expect(result.stderr).not.toMatch(/sui` binary/);
	});
});
