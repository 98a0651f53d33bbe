/**
 * The house rules of docs/architecture.md, checked on the sources: no import cycles anywhere in
 * `ts/` or `scripts/`, wings depend only on the wings below them, and nothing reachable from the
 * browser entry or the portable crypto imports a Node built-in. (tests/unit/browser/bundle.test.ts
 * proves the browser rule once more with a real esbuild bundle.)
 */
import { builtinModules } from 'node:module';
import { resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { importCycles, importGraph, reachable, wingOf } from '../../support/import-graph.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const graph = importGraph(ROOT, ['ts', 'scripts']);
const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/**
 * What each wing of `ts/` may import besides itself (docs/architecture.md has the picture).
 * `root` is the shared base (errors, identity, logger, atomic file); `config` is `ts/config.ts`;
 * `entry` the two public entries `ts/index.ts` and `ts/browser.ts`, which may import anything.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
	root: [],
	crypto: ['root'],
	chain: ['root'],
	audit: ['root'],
	'sui-install': ['root'],
	keyserver: ['root', 'crypto', 'chain'],
	config: ['root', 'chain'],
	policies: ['root', 'chain'],
	'package-info': ['root', 'chain'],
	move: ['root', 'chain', 'sui-install'],
	seal: ['root', 'config', 'chain', 'crypto', 'audit', 'policies'],
	browser: ['root', 'chain', 'crypto', 'policies', 'seal', 'package-info'],
	vault: ['root', 'config', 'chain', 'crypto', 'seal'],
	localnet: ['root', 'config', 'chain', 'crypto', 'keyserver', 'move', 'sui-install'],
	e2e: [
		'root',
		'config',
		'chain',
		'crypto',
		'audit',
		'keyserver',
		'localnet',
		'move',
		'policies',
		'package-info',
		'seal',
		'sui-install',
	],
};

function layer(file: string): string {
	if (file === 'ts/index.ts' || file === 'ts/browser.ts') return 'entry';
	if (file === 'ts/config.ts') return 'config';
	return wingOf(file);
}

/** `from → to` edges between wings that MAY_IMPORT does not allow. */
function climbs(edges: Map<string, string[]>): string[] {
	const found: string[] = [];
	for (const [file, targets] of edges) {
		if (!file.startsWith('ts/')) continue;
		const from = layer(file);
		if (from === 'entry') continue;
		for (const target of targets) {
			const to = layer(target);
			if (to === from) continue;
			if (!(MAY_IMPORT[from] ?? []).includes(to)) found.push(`${file} → ${target}`);
		}
	}
	return found;
}

function nodeImportsReachableFrom(entry: string): string[] {
	return [...reachable(graph.runtimeEdges, entry)].flatMap((file) =>
		(graph.external.get(file) ?? [])
			.filter((specifier) => BUILTINS.has(specifier))
			.map((specifier) => `${specifier} (from ${file})`),
	);
}

describe('architecture', () => {
	it('reads the whole tree (the checks below have something to check)', () => {
		expect(graph.edges.size).toBeGreaterThan(150);
		expect(graph.edges.get('ts/index.ts')).toContain('ts/crypto/node/envelope.ts');
	});

	it('no import cycles in ts/ or scripts/', () => {
		expect(importCycles(graph.edges)).toEqual([]);
	});

	it('the cycle check finds a cycle (two files, a longer ring, a self-import)', () => {
		const edges = new Map([
			['a', ['b']],
			['b', ['a']],
			['c', ['d']],
			['d', ['e']],
			['e', ['c']],
			['f', ['f']],
			['g', ['a']],
		]);
		expect(importCycles(edges)).toEqual([['a', 'b'], ['c', 'd', 'e'], ['f']]);
	});

	it('every wing of ts/ has a rule, and wings import only the wings below them', () => {
		const wings = new Set([...graph.edges.keys()].filter((f) => f.startsWith('ts/')).map(layer));
		wings.delete('entry');
		expect([...wings].filter((wing) => !(wing in MAY_IMPORT))).toEqual([]);
		expect(climbs(graph.edges)).toEqual([]);
	});

	it('the layering check catches a climb (chain importing policies)', () => {
		const edges = new Map([['ts/chain/transactions.ts', ['ts/policies/errors.ts']]]);
		expect(climbs(edges)).toEqual(['ts/chain/transactions.ts → ts/policies/errors.ts']);
	});

	it('nothing reachable from ./browser imports a Node built-in (type-only imports do not run)', () => {
		expect(reachable(graph.runtimeEdges, 'ts/browser.ts').size).toBeGreaterThan(10);
		expect(nodeImportsReachableFrom('ts/browser.ts')).toEqual([]);
	});

	it('the portable crypto (ts/crypto/, outside node/) imports no Node built-in', () => {
		const portable = [...graph.edges.keys()].filter(
			(file) => file.startsWith('ts/crypto/') && !file.startsWith('ts/crypto/node/'),
		);
		expect(portable.length).toBeGreaterThan(3);
		expect(portable.flatMap(nodeImportsReachableFrom)).toEqual([]);
	});

	it('the Node built-in check finds one (the Node-only envelope is not portable)', () => {
		expect(nodeImportsReachableFrom('ts/crypto/node/envelope.ts')).toContain(
			'node:crypto (from ts/crypto/node/envelope.ts)',
		);
	});
});
