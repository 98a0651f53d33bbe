/**
 * docs/trust-model.md states facts about our code; these checks keep them true: the Move version
 * gate it quotes is the one in move/sources, the owner policy has none, and the list of e2e
 * tests that upgrade a package is complete while `npm run e2e` reaches no upgrade at all.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const doc = read('docs/trust-model.md');
const flat = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The local modules `entry` imports, transitively (relative `.js` specifiers → `.ts` files). */
function reachable(entry: string): Set<string> {
	const seen = new Set<string>();
	const visit = (file: string) => {
		if (seen.has(file)) return;
		seen.add(file);
		const text = read(file);
		for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)\.js'/g)) {
			visit(path.relative(ROOT, path.resolve(ROOT, path.dirname(file), `${match[1]}.ts`)));
		}
	};
	visit(entry);
	return seen;
}

function testFiles(dir: string): string[] {
	return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
		entry.isDirectory()
			? testFiles(path.join(dir, entry.name))
			: entry.name.endsWith('.test.ts')
				? [path.join(dir, entry.name)]
				: [],
	);
}

/** Whether `file` (or what it imports) runs an upgrade transaction. */
function upgrades(file: string): boolean {
	return [...reachable(file)].some(
		(module) =>
			module !== path.join('ts', 'move', 'publish.ts') &&
			/\bupgradePackage\(|\bregisterUpgradeScenario\(|\bupgrade:\s*true\b|\.upgrade\(\)/.test(
				read(module),
			),
	);
}

describe('docs/trust-model.md', () => {
	it('quotes the version gate exactly as move/sources/allowlist.move has it', () => {
		const source = flat(read('move/sources/allowlist.move'));
		const snippets = [...doc.matchAll(/```move\n([\s\S]*?)```/g)].map((m) => flat(m[1] ?? ''));
		expect(snippets.length).toBeGreaterThanOrEqual(3);
		for (const snippet of snippets) expect(source).toContain(snippet);
		// The Move tests it names exist.
		const tests = read('move/tests/allowlist_tests.move');
		for (const name of doc.matchAll(/`(seal_approve_at_newer_version_fails)`/g)) {
			expect(tests).toContain(`fun ${name[1]}()`);
		}
	});

	it('is right that the owner policy has no version gate', () => {
		expect(read('move/sources/owner.move')).not.toMatch(/version/i);
	});

	it('lists exactly the e2e test files that upgrade a package, and `npm run e2e` reaches none', () => {
		const upgrading = testFiles(path.join('tests', 'e2e')).filter(upgrades).sort();
		const listed = [...doc.matchAll(/^\| `(tests\/e2e\/[^`]+)`/gm)]
			.map((m) => path.normalize(m[1] ?? ''))
			.sort();
		expect(upgrading.length).toBeGreaterThan(0);
		expect(listed).toEqual(upgrading);
		// The e2e command: its flow and environments publish, never upgrade.
		const command = path.join('scripts', 'commands', 'e2e.ts');
		expect(reachable(command)).not.toContain(path.join('ts', 'e2e', 'upgrade.ts'));
		expect(upgrades(command)).toBe(false);
	});
});
