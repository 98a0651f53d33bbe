import { parseCommandArgs } from '../args.js';
import type { Command } from '../cli-io.js';
import { verifyAuditLog } from '../../ts/audit/log.js';
import { UsageError } from '../../ts/errors.js';

const USAGE = `usage: seal-policies audit verify FILE [--expected-head HASH]

Checks a key-access log written by AuditLog: every line's hash, sequence number and link to the
line before. Exits 0 when intact; otherwise exits 1 and names the first bad line (edited,
deleted, inserted, reordered, or torn by a crash).

options:
  --expected-head HASH   the last line's hash as stored elsewhere: also catches lines removed
                         from the end`;

export const command: Command = {
	summary: 'verify a hash-chained key-access log (audit verify FILE)',
	usage: USAGE,
	async run(args, io) {
		const parsed = parseCommandArgs(args, { 'expected-head': { type: 'string' } }, USAGE);
		const [subcommand, file, ...extra] = parsed.positionals;
		if (subcommand !== 'verify' || file === undefined || extra.length > 0) {
			throw new UsageError('arguments', `expected 'verify FILE'\n${USAGE}`);
		}
		const expectedHead = parsed.values['expected-head'];
		if (expectedHead !== undefined && !/^[0-9a-f]{64}$/.test(expectedHead)) {
			throw new UsageError('--expected-head', 'expected 64 lowercase hex digits');
		}
		const result = await verifyAuditLog(file, expectedHead === undefined ? {} : { expectedHead });
		if (result.ok) {
			io.result(
				{ ok: true, file, lines: result.lines, head: result.head },
				`${file}: OK, ${result.lines} line(s), head ${result.head}`,
			);
			return 0;
		}
		// Every line intact but the expected head not among them (lines removed, or a head that
		// is not this log's): say that, not "line N is bad".
		const finding = result.headNotFound
			? `${file}: ${result.reason}`
			: `${file}: line ${result.badLine} is bad: ${result.reason}`;
		io.result(
			{ ok: false, file, badLine: result.badLine, reason: result.reason, validLines: result.lines },
			finding,
		);
		if (io.json) io.logger.warn(finding);
		return 1;
	},
};
