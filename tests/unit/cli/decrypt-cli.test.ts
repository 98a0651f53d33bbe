/** `--audit-log FILE` for decrypt / rewrap, and its fallback to config (`auditLog`, SEAL_AUDIT_LOG). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import {
	auditLogPath,
	command as decryptCommand,
	openAuditLog,
	parseAuditLogOption,
	parseDecryptArgs,
} from '../../../scripts/commands/decrypt.js';
import { command as rewrapCommand, parseRewrapArgs } from '../../../scripts/commands/rewrap.js';
import { verifyAuditLog } from '../../../ts/audit/log.js';
import { loadConfig } from '../../../ts/config.js';
import { InvalidInputError } from '../../../ts/errors.js';
import { AuditLogError } from '../../../ts/audit/errors.js';

const dirs: string[] = [];
afterEach(() => {
	for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
	const dir = mkdtempSync(join(tmpdir(), 'decrypt-cli-'));
	dirs.push(dir);
	return dir;
}

describe('--audit-log', () => {
	it('decrypt and rewrap accept it and keep it as given; absent is undefined', () => {
		expect(
			parseDecryptArgs(['a.seal', '--out', 'a', '--audit-log', 'logs/access.jsonl']).request
				.auditLog,
		).toBe('logs/access.jsonl');
		expect(parseDecryptArgs(['a.seal', '--out', 'a']).request.auditLog).toBeUndefined();
		expect(
			parseRewrapArgs(['--in', 'a', '--out', 'b', '--audit-log', '/tmp/x.jsonl']).request.auditLog,
		).toBe('/tmp/x.jsonl');
		expect(parseRewrapArgs(['--in', 'a', '--out', 'b']).request.auditLog).toBeUndefined();
	});

	it('rejects an empty path and a missing value', () => {
		expect(() => parseAuditLogOption(' ')).toThrow(InvalidInputError);
		expect(() => parseDecryptArgs(['a.seal', '--out', 'a', '--audit-log', ''])).toThrow(
			/--audit-log/,
		);
		expect(() => parseRewrapArgs(['--in', 'a', '--out', 'b', '--audit-log'])).toThrow(
			InvalidInputError,
		);
	});

	it('is documented in both usages', () => {
		expect(decryptCommand.usage).toContain('--audit-log FILE');
		expect(decryptCommand.usage).toContain('SEAL_AUDIT_LOG');
		expect(rewrapCommand.usage).toContain('--audit-log FILE');
	});
});

describe('audit log path: option, then config (yaml auditLog / SEAL_AUDIT_LOG), then none', () => {
	it('the option wins and is resolved against the working directory', () => {
		expect(auditLogPath('rel/log.jsonl', { auditLog: '/from/config.jsonl' })).toBe(
			resolve('rel/log.jsonl'),
		);
		expect(auditLogPath('/abs/log.jsonl', {})).toBe('/abs/log.jsonl');
	});

	it('falls back to SEAL_AUDIT_LOG through loadConfig, and to nothing', () => {
		const cwd = tempDir();
		const fromEnv = loadConfig({ cwd, env: { SEAL_AUDIT_LOG: 'env.jsonl' } });
		expect(auditLogPath(undefined, fromEnv)).toBe(join(cwd, 'env.jsonl'));
		writeFileSync(join(cwd, 'config.yaml'), 'auditLog: yaml.jsonl\n');
		expect(auditLogPath(undefined, loadConfig({ cwd, env: {} }))).toBe(join(cwd, 'yaml.jsonl'));
		expect(auditLogPath(undefined, loadConfig({ cwd: tempDir(), env: {} }))).toBeUndefined();
	});
});

describe('openAuditLog', () => {
	it('opens nothing without a path, and a verified log with one', async () => {
		expect(await openAuditLog(undefined)).toBeUndefined();
		const path = join(tempDir(), 'access.jsonl');
		const log = await openAuditLog(path);
		try {
			await log?.append({
				action: 'decrypt',
				address: `0x${'01'.repeat(32)}`,
				identity: `0x${'02'.repeat(40)}`,
				keyServers: [`0x${'03'.repeat(32)}`],
				threshold: 1,
				outcome: 'granted',
			});
		} finally {
			await log?.close();
		}
		expect(await verifyAuditLog(path)).toMatchObject({ ok: true, lines: 1 });
	});

	it('refuses a damaged log before any key is requested', async () => {
		const path = join(tempDir(), 'access.jsonl');
		writeFileSync(path, '{"not":"a record"}\n');
		await expect(openAuditLog(path)).rejects.toThrow(AuditLogError);
	});
});
