/**
 * Stops an orphaned key server. Started as `npm run cli -- keyserver start`, `npx seal-policies
 * keyserver start` or `tsx scripts/cli.ts keyserver start`, the server runs under a chain of
 * wrappers (npm → sh → npx/tsx → node). A signal to the outer wrapper is not always forwarded
 * down the chain (and SIGKILL never is), which would leave the server holding its port. So we
 * note the ancestors that were started for this same command (their command line names
 * `keyserver` and `start`) and shut down as soon as one of them is gone. A parent that merely
 * spawned us (e.g. `localnet up`, which detaches its servers) is not such a wrapper.
 * Linux only (/proc); elsewhere it watches nothing.
 */
import { readFileSync } from 'node:fs';

export function wrapperAncestors(pid = process.pid, maxDepth = 8): number[] {
	const wrappers: number[] = [];
	let current = pid;
	for (let depth = 0; depth < maxDepth; depth++) {
		const parent = statOf(current)?.ppid;
		// init (1) or the kernel (0) outlives us: never a wrapper to watch, whatever it runs.
		if (parent === undefined || parent <= 1) break;
		const args = commandLine(parent);
		if (!args || !isWrapperOfKeyserverStart(args)) break;
		wrappers.push(parent);
		current = parent;
	}
	return wrappers;
}

/** True for a command line that runs `… keyserver … start …` (npm, npx, sh -c, tsx, node). */
export function isWrapperOfKeyserverStart(args: string[]): boolean {
	// Empty words (from repeated blanks) match neither `keyserver` nor `start`.
	const words = args.flatMap((arg) => arg.split(/\s/));
	const at = words.indexOf('keyserver');
	return at >= 0 && words.slice(at + 1).includes('start');
}

/** Calls `onGone` once when any of `pids` no longer exists; returns a stop function. */
export function watchWrappers(pids: number[], onGone: () => void, everyMs = 500): () => void {
	if (pids.length === 0) return () => {};
	const timer = setInterval(() => {
		if (pids.some((pid) => !alive(pid))) {
			clearInterval(timer);
			onGone();
		}
	}, everyMs);
	timer.unref();
	return () => clearInterval(timer);
}

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
	// A zombie still answers kill(0): it is gone for our purpose.
	return statOf(pid)?.state !== 'Z';
}

/** State and parent pid from /proc/pid/stat: `pid (comm) state ppid …`. */
function statOf(pid: number): { state: string; ppid: number } | undefined {
	const stat = read(`/proc/${pid}/stat`);
	if (stat === undefined) return undefined;
	// comm may contain spaces and parentheses: the fields start after its LAST `)`.
	const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return { state: state!, ppid: Number(ppid) };
}

function commandLine(pid: number): string[] | undefined {
	const raw = read(`/proc/${pid}/cmdline`);
	// (The trailing NUL leaves an empty last part: it matches no word.)
	return raw?.split('\0');
}

function read(path: string): string | undefined {
	try {
		return readFileSync(path, 'utf8');
	} catch {
		return undefined;
	}
}
