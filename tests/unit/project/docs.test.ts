/**
 * The docs cannot drift: every shell command in a fenced `sh` block of README.md, CONTRIBUTING.md
 * and docs/*.md (every page present when the test runs) is either RUN or CHECKED.
 *
 * - Run: commands that work offline (the CLI's help, `keyserver genkey`, `keyserver start` — in the
 *   background until the page is done — and `curl` against it, `encrypt --wallet-key`, `decrypt`
 *   and `audit verify` of files the page itself made or ships, shell helpers). Each page runs as
 *   one bash script in its own temporary directory, in order, with `npx seal-policies` running
 *   the CLI compiled once for this file (what the installed bin runs; support/compiled-cli.ts);
 *   a command is expected to exit 0 unless its comment says `exits N`.
 * - Checked: commands that need a chain, a network, `sui` or a long time (`publish`, `localnet`,
 *   `vault`, `npm test`, benchmarks, …): the command and subcommand exist and every `--flag` shown
 *   is in the command's usage; `npm run X` names a script of package.json; files named exist.
 *
 * Anything else — an unknown command, an unlabelled fence, a command indented instead of fenced —
 * fails, naming the page and line.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
	cpSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { COMMANDS } from '../../../scripts/cli-commands.js';
import { compileCli, type CompiledCli } from '../../support/compiled-cli.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const TSX = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
	name: string;
	version: string;
	scripts: Record<string, string>;
};
/** Files the pages may use as if they were in the reader's clone (copied into each run dir). */
const SHIPPED = ['examples/access-log.jsonl'];
const SHELL_LANGS = new Set(['sh', 'bash', 'shell']);
const GLOBAL_FLAGS = new Set(['--json', '--verbose', '--help', '--version']);

const PAGES = [
	'README.md',
	'CONTRIBUTING.md',
	...readdirSync(join(ROOT, 'docs'))
		.filter((name) => name.endsWith('.md'))
		.sort()
		.map((name) => `docs/${name}`),
];

// ---------------------------------------------------------------------------------------------
// Extraction

interface ShellCommand {
	page: string;
	/** 1-based line of the command's first line in the page. */
	line: number;
	/** The command without its comment, continuation lines joined. */
	text: string;
	comment: string;
}

/** `#` that starts a comment: outside quotes, at the start or after whitespace. */
function splitComment(line: string): { code: string; comment: string } {
	let quote: string | undefined;
	for (let i = 0; i < line.length; i++) {
		const c = line[i];
		if (quote) {
			if (c === quote) quote = undefined;
		} else if (c === "'" || c === '"') {
			quote = c;
		} else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) {
			return { code: line.slice(0, i).trimEnd(), comment: line.slice(i + 1).trim() };
		}
	}
	return { code: line.trimEnd(), comment: '' };
}

function extract(page: string): { commands: ShellCommand[]; problems: string[] } {
	const lines = readFileSync(join(ROOT, page), 'utf8').split('\n');
	const commands: ShellCommand[] = [];
	const problems: string[] = [];
	let fence: { marker: string; shell: boolean } | undefined;
	let pending: ShellCommand | undefined;
	for (const [index, raw] of lines.entries()) {
		const at = `${page}:${index + 1}`;
		const open = /^\s*(`{3,}|~{3,})\s*([\w-]*)/.exec(raw);
		if (fence === undefined) {
			if (open) {
				const lang = open[2] ?? '';
				if (lang === '') problems.push(`${at}: fenced block without a language (shell: \`\`\`sh)`);
				fence = { marker: open[1] ?? '```', shell: SHELL_LANGS.has(lang) };
			} else if (/^( {4}|\t)\s*(npx|npm|node|curl|sui) /.test(raw)) {
				problems.push(`${at}: indented command; put it in a fenced \`\`\`sh block`);
			}
			continue;
		}
		if (raw.trim().startsWith(fence.marker)) {
			if (pending) problems.push(`${page}:${pending.line}: continuation line at the block's end`);
			fence = undefined;
			pending = undefined;
			continue;
		}
		if (!fence.shell) continue;
		const { code, comment } = splitComment(raw.trim());
		if (pending) {
			pending.text += ` ${code.replace(/\\$/, '').trim()}`;
			if (comment) pending.comment += ` ${comment}`;
		} else if (code !== '') {
			pending = { page, line: index + 1, text: code.replace(/\\$/, '').trim(), comment };
		}
		if (pending && !code.endsWith('\\')) {
			commands.push(pending);
			pending = undefined;
		}
	}
	if (fence) problems.push(`${page}: a fenced block is never closed`);
	return { commands, problems };
}

// ---------------------------------------------------------------------------------------------
// Classification

/** Shell words of a command part, quotes removed (enough for what docs show). */
function words(text: string): string[] {
	const out: string[] = [];
	const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
	for (const match of text.matchAll(re)) out.push(match[1] ?? match[2] ?? match[3] ?? '');
	return out;
}

/** Top-level parts of a command line: split on `&&`, `;` and `|` outside quotes and `$(…)`. */
function parts(text: string): string[] {
	const out: string[] = [];
	let depth = 0;
	let quote: string | undefined;
	let start = 0;
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (quote) {
			if (c === quote) quote = undefined;
			continue;
		}
		// `a; b`: the separator follows its word directly.
		if (c === ';' && depth === 0 && /\s/.test(text[i + 1] ?? '')) {
			out.push(text.slice(start, i).trim());
			start = i + 1;
			continue;
		}
		if (c === "'" || c === '"') quote = c;
		else if (c === '$' && text[i + 1] === '(') depth++;
		else if (c === ')' && depth > 0) depth--;
		else if (
			depth === 0 &&
			/\s/.test(text[i - 1] ?? '') &&
			(c === ';' || c === '|' || (c === '&' && text[i + 1] === '&'))
		) {
			// Only operators written apart (` | `): `grpc|jsonrpc` is an alternative, not a pipe.
			out.push(text.slice(start, i).trim());
			i += c === '&' || text[i + 1] === '|' ? 1 : 0;
			start = i + 1;
		}
	}
	out.push(text.slice(start).trim());
	return out.filter((part) => part !== '');
}

/** A value the reader fills in: `0x…`, `<id>`, `[--opt]`, `a|b`, `FILE`. */
function isPlaceholder(word: string): boolean {
	if (/^\d*(>>?|<)(&\d+)?$/.test(word)) return false; // a redirection
	return /[…<>[\]|]/.test(word) || /^[A-Z][A-Z_]{2,}$/.test(word);
}

/** Leading `VAR=value` assignments of a command. */
function withoutAssignments(ws: string[]): string[] {
	let i = 0;
	while (i < ws.length && /^[A-Z_][A-Z0-9_]*=/.test(ws[i] ?? '')) i++;
	return ws.slice(i);
}

type Plan =
	| { kind: 'run'; expect: number; prints?: string; background?: 'keyserver' }
	| { kind: 'check'; why: string; checks: (() => Promise<string[]>)[] };

interface PageState {
	/** Files that exist when the command runs: shipped ones and those earlier commands wrote. */
	files: Set<string>;
	/** Ports of key servers the page started. */
	keyServerPorts: Set<string>;
}

const usageCache = new Map<string, Promise<string>>();
function usageOf(name: string): Promise<string> {
	let usage = usageCache.get(name);
	if (!usage) {
		const entry = COMMANDS[name];
		usage = entry ? entry.load().then(({ command }) => command.usage) : Promise.resolve('');
		usageCache.set(name, usage);
	}
	return usage;
}

/** The command exists; a subcommand word and every `--flag` shown are in its usage. */
function checkCli(args: string[], text: string): () => Promise<string[]> {
	return async () => {
		const [name, sub] = args;
		if (name === undefined || name === '--help' || name === '--version') return [];
		if (!COMMANDS[name]) return [`seal-policies has no command '${name}'`];
		const usage = await usageOf(name);
		const problems: string[] = [];
		if (sub !== undefined && /^[a-z][a-z-]*$/.test(sub) && !new RegExp(`\\b${sub}\\b`).test(usage))
			problems.push(`'${name} --help' does not list '${sub}'`);
		for (const [flag] of text.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)) {
			if (GLOBAL_FLAGS.has(flag) || flag === '--') continue;
			if (!new RegExp(`${flag}(?![a-z0-9-])`).test(usage))
				problems.push(`'${name} --help' does not list ${flag}`);
		}
		return problems;
	};
}

function checkScript(script: string): () => Promise<string[]> {
	return async () =>
		PACKAGE.scripts[script] === undefined ? [`package.json has no script '${script}'`] : [];
}

function checkFiles(paths: string[]): () => Promise<string[]> {
	return async () =>
		paths
			.filter((path) => !isPlaceholder(path) && !existsSync(join(ROOT, path)))
			.map((path) => `${path} does not exist`);
}

let benchUsage: Promise<string> | undefined;
/** What `npm run bench -- --help` prints (once per run). */
function benchHelp(): Promise<string> {
	benchUsage ??= new Promise((done) => {
		const child = spawn(
			process.execPath,
			['--import', TSX, join(ROOT, 'scripts', 'bench.ts'), '--help'],
			{
				cwd: ROOT,
				stdio: ['ignore', 'pipe', 'ignore'],
			},
		);
		let out = '';
		child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
		child.on('close', () => done(out));
	});
	return benchUsage;
}

/** Classifies one command part (the page state says what earlier commands made). */
function classifyPart(part: string, state: PageState, comment: string): Plan | string {
	const ws = withoutAssignments(words(part));
	const [head, ...rest] = ws;
	const placeholders = ws.some(isPlaceholder);
	const expect = Number(/\bexits (\d+)/.exec(comment)?.[1] ?? 0);
	const prints = /\bprints (.+)$/.exec(comment)?.[1];
	const run = (): Extract<Plan, { kind: 'run' }> => ({
		kind: 'run',
		expect,
		...(prints === undefined ? {} : { prints }),
	});
	const check = (why: string, ...checks: (() => Promise<string[]>)[]): Plan => ({
		kind: 'check',
		why,
		checks,
	});
	if (head === undefined) return 'empty command';

	// The CLI: `npx seal-policies …` or `npm run cli -- …`.
	let cliArgs: string[] | undefined;
	if (head === 'npx' && rest[0] === 'seal-policies') cliArgs = rest.slice(1);
	if (head === 'seal-policies') cliArgs = rest; // the bin on PATH (installed from the tarball)
	if (head === 'npm' && rest[0] === 'run' && rest[1] === 'cli') cliArgs = rest.slice(3);
	if (cliArgs) return classifyCli(cliArgs, part, state, placeholders, run());

	if (head === 'npm') {
		const [verb, script, dashdash, ...args] = rest;
		if (verb === 'install' || verb === 'ci') {
			const tarball = rest.find((word) => word.endsWith('.tgz'));
			const wanted = `${PACKAGE.name}-${PACKAGE.version}.tgz`;
			return check('npm install is not re-run', async () =>
				tarball !== undefined && basename(tarball) !== wanted
					? [`npm pack writes ${wanted}, not ${basename(tarball)}`]
					: [],
			);
		}
		if (verb === 'pack') return check('npm pack builds: not re-run');
		if (verb === 'test') return check('npm test is not re-run', checkScript('test'));
		if (verb !== 'run' || script === undefined) return `unknown npm command 'npm ${verb}'`;
		if (dashdash !== undefined && dashdash !== '--')
			return `npm run ${script}: arguments go after --`;
		const scriptCheck = checkScript(script);
		if (script === 'e2e')
			return check('needs sui', scriptCheck, checkCli(['e2e', ...args], args.join(' ')));
		if (script === 'move:build' || script === 'move:test')
			return check(
				'needs a Move toolchain',
				scriptCheck,
				checkCli(['move', script.slice(5), ...args], args.join(' ')),
			);
		if (script === 'bench') {
			if (args.length === 1 && args[0] === '--help') return run();
			return check('benchmarks take minutes', scriptCheck, async () => {
				const usage = await benchHelp();
				return args
					.filter((name) => !name.startsWith('-') && !new RegExp(`\\b${name}\\b`).test(usage))
					.map((name) => `'npm run bench -- --help' does not list '${name}'`);
			});
		}
		if (script === 'mutate')
			return check(
				'mutation testing takes long',
				scriptCheck,
				checkFiles(
					args
						.filter((_, i) => args[i - 1] === '--mutate' || args[i - 1] === '--testFiles')
						.flatMap((list) => list.split(',')),
				),
			);
		return check('npm script', scriptCheck);
	}
	if (head === 'npx' && rest[0] === 'vitest') {
		const config = readFileSync(join(ROOT, 'vitest.config.ts'), 'utf8');
		const projects = rest.filter((_, i) => rest[i - 1] === '--project');
		const files = rest.filter((word) => word.endsWith('.ts'));
		return check(
			'test runs are not re-run',
			async () =>
				projects
					.filter((p) => !isPlaceholder(p) && !config.includes(`name: '${p}'`))
					.map((p) => `vitest.config.ts has no project '${p}'`),
			checkFiles(files),
		);
	}
	if (head === 'curl') {
		const url = ws.find((word) => /^https?:\/\//.test(word)) ?? '';
		if (!/^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(url)) return check('downloads: not run');
		const port = /^https?:\/\/127\.0\.0\.1:(\d+)\//.exec(url)?.[1];
		const route = /^https?:\/\/[^/]+(\/[^?]*)/.exec(url)?.[1] ?? '';
		const routes = ['/health', '/v1/service', '/v1/fetch_key', '/v1/debug/committee_partial_pk'];
		if (![...routes, '/metrics'].includes(route)) return `curl of ${url}: not a key-server route`;
		if (port !== undefined && state.keyServerPorts.has(port) && !placeholders) return run();
		return check('needs a running key server');
	}
	const assignment = /^export [A-Z_][A-Z0-9_]*=(.*)$/.exec(part);
	if (head === 'export' && assignment) {
		const value = assignment[1] ?? '';
		const substituted = /^\$\((.*)\)$/.exec(value)?.[1];
		if (substituted === undefined)
			return /[…<>]/.test(value) ? check('a value the reader fills in') : run();
		// `export X=$(command)`: runs when the command does.
		const inner = parts(substituted).map((p) => classifyPart(p, state, ''));
		const bad = inner.find((plan): plan is string => typeof plan === 'string');
		if (bad !== undefined) return bad;
		return inner.every((plan) => (plan as Plan).kind === 'run')
			? run()
			: check(
					'needs what its command needs',
					...inner.flatMap((plan) =>
						(plan as Plan).kind === 'check'
							? (plan as { checks: (() => Promise<string[]>)[] }).checks
							: [],
					),
				);
	}
	if (head === 'set' || head === '.') {
		const sourced = ws.find((word) => word.startsWith('./.env'));
		if (head === '.' && sourced === './.env.localnet') return check('written by localnet up');
		if (head === 'set') return check('shell option');
		return `sourcing ${sourced ?? '?'}: unknown file`;
	}
	if (head === 'node' && rest[0] === 'dist/scripts/cli.js')
		return check('needs the build', checkCli(rest.slice(1), rest.slice(1).join(' ')));
	if (head === 'node' && rest[0] !== undefined && !rest[0].startsWith('-'))
		return check('runs a file', checkFiles([rest[0]].filter((f) => !f.startsWith('dist/'))));
	if (['sui', 'suiup', 'brew', 'cargo'].includes(head)) return check('needs or installs sui');
	if (
		['echo', 'printf', 'cat', 'sed', 'grep', 'head', 'tail', 'wc', 'ls', 'mkdir', 'node'].includes(
			head,
		)
	) {
		if (placeholders) return `${head} with a placeholder cannot run`;
		return run();
	}
	if (head === 'apt-get' || head === 'git') return check('installs or downloads: not run');
	return `unknown command '${head}'`;
}

function classifyCli(
	args: string[],
	text: string,
	state: PageState,
	placeholders: boolean,
	run: Extract<Plan, { kind: 'run' }>,
): Plan | string {
	if (args[0] === 'help' && args.length > 1)
		return classifyCli([...args.slice(1), '--help'], text, state, placeholders, run);
	const [name, sub] = args;
	const check = (why: string): Plan => ({ kind: 'check', why, checks: [checkCli(args, text)] });
	if (name === undefined) return 'seal-policies without a command';
	if (!COMMANDS[name] && !['--help', '--version'].includes(name))
		return `seal-policies has no command '${name}'`;
	if (placeholders) return check('shows placeholders');
	if (args.includes('--help') || args[0] === '--version') return run;
	const inputsExist = (inputs: string[]) => inputs.every((file) => state.files.has(file));
	if (name === 'keyserver' && (sub === 'genkey' || sub === 'gen-seed' || sub === 'derive-key'))
		return run;
	if (name === 'keyserver' && sub === 'start') {
		const port = args[args.indexOf('--port') + 1];
		if (!args.includes('--port') || port === undefined) return check('no --port to reach it on');
		state.keyServerPorts.add(port);
		return { ...run, background: 'keyserver' };
	}
	const out = args[args.indexOf('--out') + 1];
	if (name === 'encrypt' && args.includes('--wallet-key')) {
		const input = args[args.indexOf('--in') + 1] ?? '';
		if (!inputsExist([input])) return check(`needs ${input}`);
		if (out) state.files.add(out);
		return run;
	}
	if (name === 'decrypt') {
		const inputs = args
			.slice(1)
			.filter((arg, i, all) => !arg.startsWith('-') && !all[i - 1]?.startsWith('--'));
		if (!inputsExist(inputs)) return check('needs key servers or files the page does not make');
		if (out) state.files.add(out);
		return run;
	}
	if (name === 'audit' && sub === 'verify') {
		return inputsExist([args[2] ?? '']) ? run : check('needs a log the page does not make');
	}
	return check('needs a chain, key servers or sui');
}

interface Classified {
	command: ShellCommand;
	plan: Plan;
}

function classifyPage(commands: ShellCommand[]): { classified: Classified[]; problems: string[] } {
	const state: PageState = { files: new Set(SHIPPED), keyServerPorts: new Set() };
	const classified: Classified[] = [];
	const problems: string[] = [];
	for (const command of commands) {
		const plans = parts(command.text).map((part) => classifyPart(part, state, command.comment));
		const bad = plans.find((plan): plan is string => typeof plan === 'string');
		if (bad !== undefined) {
			problems.push(`${command.page}:${command.line}: ${bad}: ${command.text}`);
			continue;
		}
		const real = plans as Plan[];
		// A line runs only if every part of it can; otherwise all its parts are checked.
		if (real.every((plan) => plan.kind === 'run')) {
			classified.push({ command, plan: real[0] as Plan });
		} else {
			const checks = real.flatMap((plan) => (plan.kind === 'check' ? plan.checks : []));
			const why = real.flatMap((plan) => (plan.kind === 'check' ? [plan.why] : [])).join('; ');
			classified.push({ command, plan: { kind: 'check', why, checks } });
		}
		// Shell redirections make files too.
		for (const [, file] of command.text.matchAll(/(?<![0-9&])>\s*([\w./-]+)/g))
			if (file) state.files.add(file);
	}
	return { classified, problems };
}

// ---------------------------------------------------------------------------------------------
// Running

const PRELUDE = `
npx() {
	if [ "$1" = seal-policies ]; then shift; "$DOCS_NODE" "$DOCS_CLI" "$@"
	else echo "docs test: 'npx $1' is not run" >&2; return 127; fi
}
npm() {
	if [ "$1" = run ] && [ "$2" = bench ]; then shift 2; [ "$1" = -- ] && shift
		"$DOCS_NODE" --import "$DOCS_TSX" "$DOCS_ROOT/scripts/bench.ts" "$@"
	else echo "docs test: 'npm $*' is not run" >&2; return 127; fi
}
KS_PIDS=
stop_key_servers() {
	for pid in $KS_PIDS; do kill -TERM "$pid" 2>/dev/null; done
	for pid in $KS_PIDS; do wait "$pid" 2>/dev/null; done
}
trap stop_key_servers EXIT
wait_listening() {
	for _ in $(seq 1 600); do
		grep -q '^Seal key server .* at http' "$1" && return 0
		kill -0 "$2" 2>/dev/null || { cat "$1" >&2; return 1; }
		sleep 0.1
	done
	cat "$1" >&2; return 1
}
`;

function script(classified: Classified[]): string {
	const body = classified
		.filter(({ plan }) => plan.kind === 'run')
		.map(({ command, plan }, index) => {
			const at = `${command.page}:${command.line}`;
			const expected = plan.kind === 'run' ? plan.expect : 0;
			let line = command.text;
			if (plan.kind === 'run' && plan.background === 'keyserver') {
				const log = `.docs-keyserver-${index}.log`;
				const args = command.text.replace(/^.*?npx seal-policies /, '');
				line = `( exec "$DOCS_NODE" "$DOCS_CLI" ${args} ) > ${log} 2>&1 &
KS_PIDS="$KS_PIDS $!"; wait_listening ${log} $!`;
			}
			const prints = plan.kind === 'run' ? plan.prints : undefined;
			const fail = (why: string) => `{ echo "@@FAIL ${at}: ${why}" >&2; exit 1; }`;
			if (prints !== undefined && plan.kind === 'run' && !plan.background) {
				// `# prints TEXT`: the command's output must contain TEXT.
				const quoted = `'${prints.replaceAll("'", `'\\''`)}'`;
				line = `{ ${line}\n} > .docs-out 2>&1; rc=$?; cat .docs-out
grep -qF -- ${quoted} .docs-out || ${fail(`output lacks ${prints.replaceAll('"', '\\"').replaceAll('`', '')}`)}
(exit $rc)`;
			}
			return `echo "@@ ${at}" >&2
${line}
rc=$?; [ "$rc" -eq ${expected} ] || ${fail(`exit code $rc, expected ${expected}`)}`;
		});
	return [PRELUDE, ...body].join('\n');
}

function runScript(
	text: string,
	cwd: string,
	env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
	return new Promise((done) => {
		const child = spawn('bash', ['-c', text], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
		let output = '';
		child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
		const timer = setTimeout(() => child.kill('SIGTERM'), 170_000);
		child.on('close', (code) => {
			clearTimeout(timer);
			done({ code, output });
		});
	});
}

// ---------------------------------------------------------------------------------------------

const pages = PAGES.map((page) => {
	const { commands, problems } = extract(page);
	const { classified, problems: unknown } = classifyPage(commands);
	return { page, classified, problems: [...problems, ...unknown] };
});

if (process.env['DOCS_TEST_LIST'])
	for (const { classified } of pages)
		for (const { command, plan } of classified)
			console.log(
				`${command.page}:${command.line}\t${plan.kind === 'run' ? 'RUN' : `check (${plan.why})`}\t${command.text.slice(0, 90)}`,
			);

const dirs: string[] = [];
let compiled: CompiledCli | undefined;
beforeAll(async () => {
	compiled = await compileCli();
});
afterAll(() => {
	compiled?.remove();
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('docs: every shell command is run or checked', () => {
	it('every command is one the test knows (named by page and line)', () => {
		expect(pages.flatMap((page) => page.problems)).toEqual([]);
	});

	it('commands that need a chain, sui or time name existing commands, flags, scripts and files', async () => {
		const problems: string[] = [];
		for (const { classified } of pages) {
			for (const { command, plan } of classified) {
				if (plan.kind !== 'check') continue;
				for (const check of plan.checks)
					for (const problem of await check())
						problems.push(`${command.page}:${command.line}: ${problem}: ${command.text}`);
			}
		}
		expect(problems).toEqual([]);
	});

	const hasCurl = spawnSync('sh', ['-c', 'command -v curl'], { stdio: 'ignore' }).status === 0;
	const needsCurl = (classified: Classified[]) =>
		classified.some(({ command, plan }) => plan.kind === 'run' && /^curl /.test(command.text));
	const runnable = pages.filter(
		({ classified }) =>
			classified.some(({ plan }) => plan.kind === 'run') && (hasCurl || !needsCurl(classified)),
	);
	const skipped = pages.filter(({ classified }) => !hasCurl && needsCurl(classified));
	for (const { page } of skipped)
		it.skip(`${page}: the offline commands run (skipped: no curl on PATH)`, () => {});
	if (skipped.length > 0)
		console.warn(
			`[docs] skipped running ${skipped.map((p) => p.page).join(', ')}: no curl on PATH`,
		);
	const results = new Map<string, Promise<{ code: number | null; output: string }>>();
	beforeAll(() => {
		// Pages run in parallel, each in its own directory with the reader's node_modules.
		for (const { page, classified } of runnable) {
			const dir = mkdtempSync(join(tmpdir(), 'docs-run-'));
			dirs.push(dir);
			symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
			for (const file of SHIPPED) {
				mkdirSync(join(dir, file, '..'), { recursive: true });
				cpSync(join(ROOT, file), join(dir, file));
			}
			const env: NodeJS.ProcessEnv = {
				PATH: process.env['PATH'],
				HOME: dir,
				// The reader's signer (pages that need one say so); README makes its own.
				SUI_PRIVATE_KEY: Ed25519Keypair.generate().getSecretKey(),
				DOCS_NODE: process.execPath,
				DOCS_TSX: TSX,
				DOCS_CLI: compiled!.script('cli'),
				DOCS_ROOT: ROOT,
			};
			results.set(page, runScript(script(classified), dir, env));
		}
	});

	it.each(runnable.map(({ page }) => page))(
		'%s: the offline commands run',
		async (page) => {
			const { code, output } = (await results.get(page))!;
			if (process.env['DOCS_TEST_LIST']) console.log(output);
			const failed = /@@FAIL (.*)/.exec(output)?.[1];
			const last = [...output.matchAll(/@@ (\S+)/g)].at(-1)?.[1];
			expect(
				code === 0
					? ''
					: `${failed ?? `${last}: the script stopped (exit ${code})`}\n${output.split('\n').slice(-25).join('\n')}`,
			).toBe('');
		},
		180_000,
	);

	it('the README runs its try-it path, stays under 250 lines and cites no issue numbers', () => {
		const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
		expect(readme.split('\n').length).toBeLessThan(250);
		const ran = pages
			.find((page) => page.page === 'README.md')!
			.classified.filter(({ plan }) => plan.kind === 'run');
		const ranText = ran.map(({ command }) => command.text).join('\n');
		for (const needed of [
			'keyserver start',
			'curl',
			'encrypt --wallet-key',
			'decrypt',
			'audit verify',
			'bench',
		])
			expect(ranText).toContain(needed);
		for (const page of ['README.md', ...PAGES.filter((p) => p.startsWith('docs/'))]) {
			const text = readFileSync(join(ROOT, page), 'utf8');
			expect(text, page).not.toMatch(/\bissues? #?\d+|(?<![\w&/])#\d+\b/i);
		}
	});

	it('the key server --help and docs/keyserver.md give the same noble slowdown', async () => {
		const usage = await usageOf('keyserver');
		const help = /~(\d+)x slower/.exec(usage)?.[1];
		const page = readFileSync(join(ROOT, 'docs', 'keyserver.md'), 'utf8');
		expect(help).toBeDefined();
		expect(/about (\d+)× slower/.exec(page)?.[1]).toBe(help);
	});

	it('one Sui install URL everywhere', () => {
		const urls = new Set<string>();
		const sources = [...PAGES, ...listFiles('ts'), ...listFiles('scripts')];
		for (const file of sources) {
			for (const [url] of readFileSync(join(ROOT, file), 'utf8').matchAll(
				/https:\/\/docs\.sui\.io\/[\w/-]*sui-install[\w/-]*/g,
			))
				urls.add(url);
		}
		expect([...urls]).toEqual(['https://docs.sui.io/guides/developer/getting-started/sui-install']);
	});
});

function listFiles(dir: string): string[] {
	return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
		.filter((entry) => entry.isFile() && /\.(ts|mjs)$/.test(entry.name))
		.map((entry) => join(entry.parentPath, entry.name).slice(ROOT.length + 1));
}
