import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { relative } from 'node:path';

import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ENTRY = new URL('../../../ts/browser.ts', import.meta.url).pathname;
const ROOT = new URL('../../..', import.meta.url).pathname;
const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Records every import of a Node built-in (with its importer) instead of failing on the first. */
function recordNodeImports(found: string[]): Plugin {
	return {
		name: 'record-node-imports',
		setup(b) {
			b.onResolve({ filter: /.*/ }, (args) => {
				if (!args.path.startsWith('node:') && !BUILTINS.has(args.path)) return undefined;
				found.push(`${args.path} (from ${relative(ROOT, args.importer)})`);
				return { path: args.path, external: true };
			});
		},
	};
}

describe('browser entry (ts/browser.ts)', () => {
	it('bundles for the browser platform with no node: import anywhere in its graph', async () => {
		const nodeImports: string[] = [];
		const result = await build({
			entryPoints: [ENTRY],
			bundle: true,
			platform: 'browser',
			format: 'esm',
			write: false,
			metafile: true,
			logLevel: 'silent',
			plugins: [recordNodeImports(nodeImports)],
		});
		expect(nodeImports).toEqual([]);
		expect(result.errors).toEqual([]);
		const ours = Object.keys(result.metafile.inputs).filter((input) => input.startsWith('ts/'));
		// The graph is the portable part of the library, not all of it.
		expect(ours).toContain('ts/browser/envelope.ts');
		expect(ours).not.toContain('ts/crypto/node/envelope-stream.ts');
		expect(ours).not.toContain('ts/config.ts');
		// `Buffer` is a Node global a bundler does not see as an import: ban it in our modules too.
		const usingBuffer = ours.filter((file) =>
			/\bBuffer\s*\./.test(readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8')),
		);
		expect(usingBuffer).toEqual([]);
	});

	it('the recorder catches a node: import (the check can fail)', async () => {
		const nodeImports: string[] = [];
		await build({
			stdin: { contents: "import { randomBytes } from 'node:crypto'; console.log(randomBytes);" },
			bundle: true,
			platform: 'browser',
			write: false,
			logLevel: 'silent',
			plugins: [recordNodeImports(nodeImports)],
		});
		expect(nodeImports).toEqual(['node:crypto (from <stdin>)']);
	});
});
