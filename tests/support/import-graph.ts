/**
 * The project's own import graph, read from the sources (relative specifiers only): what the
 * architecture checks walk. Static `import`/`export … from`, side-effect imports and `import('…')`
 * with a literal specifier count; type-only imports count too (a cycle of types is still a knot
 * for the reader).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export interface ImportGraph {
	/** Repo-relative file → repo-relative files it imports. */
	edges: Map<string, string[]>;
	/** The same without `import type` / `export type` statements: what runs. */
	runtimeEdges: Map<string, string[]>;
	/** Repo-relative file → the bare (package or `node:`) specifiers it imports. */
	external: Map<string, string[]>;
}

const SPECIFIER =
	/(?:^|[\s;}])(?:import|export)\s(type\s)?(?:[^'"`;]*?\sfrom\s)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

function sourceFiles(root: string, dir: string): string[] {
	return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
		.filter((entry) => entry.isFile() && /\.(ts|mts|mjs)$/.test(entry.name))
		.filter((entry) => !entry.name.endsWith('.d.ts'))
		.map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'));
}

function resolveSpecifier(root: string, from: string, specifier: string): string | undefined {
	const base = resolve(root, dirname(from), specifier);
	const candidates = [
		base,
		base.replace(/\.js$/, '.ts'),
		base.replace(/\.mjs$/, '.mts'),
		`${base}.ts`,
	];
	const found = candidates.find((candidate) => existsSync(candidate) && !candidate.endsWith(sep));
	return found === undefined ? undefined : relative(root, found).split(sep).join('/');
}

/** Strips comments so that examples in doc comments are not read as imports. */
function withoutComments(source: string): string {
	return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

export function importGraph(root: string, dirs: string[]): ImportGraph {
	const edges = new Map<string, string[]>();
	const runtimeEdges = new Map<string, string[]>();
	const external = new Map<string, string[]>();
	for (const file of dirs.flatMap((dir) => sourceFiles(root, dir))) {
		const source = withoutComments(readFileSync(join(root, file), 'utf8'));
		const local = new Set<string>();
		const runtime = new Set<string>();
		const bare = new Set<string>();
		for (const match of source.matchAll(SPECIFIER)) {
			const typeOnly = match[1] !== undefined;
			const specifier = match[2] ?? match[3]!;
			if (!specifier.startsWith('.')) {
				bare.add(specifier);
				continue;
			}
			const target = resolveSpecifier(root, file, specifier);
			if (target === undefined) continue;
			local.add(target);
			if (!typeOnly) runtime.add(target);
		}
		edges.set(file, [...local].sort());
		runtimeEdges.set(file, [...runtime].sort());
		external.set(file, [...bare].sort());
	}
	return { edges, runtimeEdges, external };
}

/** Every cycle's files (strongly connected components of two or more files, or a self-import). */
export function importCycles(edges: Map<string, string[]>): string[][] {
	let counter = 0;
	const index = new Map<string, number>();
	const low = new Map<string, number>();
	const stack: string[] = [];
	const onStack = new Set<string>();
	const cycles: string[][] = [];
	const visit = (node: string): void => {
		index.set(node, counter);
		low.set(node, counter++);
		stack.push(node);
		onStack.add(node);
		for (const next of edges.get(node) ?? []) {
			if (!index.has(next)) {
				visit(next);
				low.set(node, Math.min(low.get(node)!, low.get(next)!));
			} else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
		}
		if (low.get(node) === index.get(node)) {
			const component: string[] = [];
			let member: string;
			do {
				member = stack.pop()!;
				onStack.delete(member);
				component.push(member);
			} while (member !== node);
			if (component.length > 1 || (edges.get(node) ?? []).includes(node))
				cycles.push(component.sort());
		}
	};
	for (const node of edges.keys()) if (!index.has(node)) visit(node);
	return cycles;
}

/** Files reachable from `entry` (itself included). */
export function reachable(edges: Map<string, string[]>, entry: string): Set<string> {
	const seen = new Set<string>();
	const queue = [entry];
	while (queue.length > 0) {
		const file = queue.pop()!;
		if (seen.has(file)) continue;
		seen.add(file);
		queue.push(...(edges.get(file) ?? []));
	}
	return seen;
}

/** The wing of a `ts/` file: its first folder below `ts/`, or `root` for the shared files. */
export function wingOf(file: string): string {
	const parts = file.split('/');
	return parts[0] === 'ts' && parts.length > 2 ? parts[1]! : parts[0] === 'ts' ? 'root' : parts[0]!;
}
