/**
 * The serde_json-like reader on its own: syntax vs data errors, byte positions, numbers,
 * escapes and skipped values. Skipped values must be valid JSON exactly when `JSON.parse`
 * says so (both follow RFC 8259 for the ASCII inputs used here).
 */
import { describe, expect, it } from 'vitest';
import {
	BodyDataError,
	JsonSyntaxError,
	readJson,
	type StructType,
} from '../../../ts/keyserver/json-body.js';

const INNER: StructType = {
	kind: 'struct',
	name: 'Inner',
	fields: [{ name: 'n', type: { kind: 'uint', max: 300n } }],
};
const TYPE: StructType = {
	kind: 'struct',
	name: 'Outer',
	fields: [
		{ name: 's', type: { kind: 'string' } },
		{ name: 'o', type: { kind: 'option-string' } },
		{ name: 'u', type: { kind: 'uint', max: (1n << 64n) - 1n } },
		{ name: 'i', type: INNER },
	],
};

const read = (text: string, type: StructType = TYPE) =>
	readJson(new TextEncoder().encode(text), type);

function outcome(text: string, type: StructType = TYPE): string {
	try {
		return JSON.stringify(read(text, type), (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
	} catch (error) {
		if (error instanceof JsonSyntaxError) return `syntax: ${error.message}`;
		if (error instanceof BodyDataError) return `data: ${error.message}`;
		throw error;
	}
}

describe('readJson values', () => {
	it('reads a struct from an object or an array, with whitespace anywhere', () => {
		const want = '{"s":"a","u":"7n","i":{"n":"3n"}}';
		expect(outcome('{"s":"a","o":null,"u":7,"i":{"n":3}}')).toBe(want);
		expect(outcome(' \t\r\n{ "s" : "a" , "u" : 7 , "i" : [ 3 ] } \n')).toBe(want);
		expect(outcome('["a",null,7,[3]]')).toBe(want);
		expect(outcome('["a","x",7,{"n":3}]')).toBe('{"s":"a","o":"x","u":"7n","i":{"n":"3n"}}');
		expect(outcome('{"i":{"n":0},"u":0,"s":"","x":[1,{"y":[]},"z",true,false,null,-1.5e+3]}')).toBe(
			'{"i":{"n":"0n"},"u":"0n","s":""}',
		);
	});

	it('decodes every escape, surrogate pairs and raw UTF-8', () => {
		const s = (json: string) => JSON.parse(outcome(`{"s":${json},"u":1,"i":[1]}`)).s;
		expect(s('"\\"\\\\\\/\\b\\f\\n\\r\\t"')).toBe('"\\/\b\f\n\r\t');
		expect(s('"a\\u0041\\u00e9\\u00C9b"')).toBe('aAéÉb');
		expect(s('"\\ud83d\\ude00"')).toBe('😀');
		expect(s('"\\uD83D\\uDE00"')).toBe('😀');
		expect(s('"é😀x"')).toBe('é😀x');
		expect(s('"x\\u0041é"')).toBe('xAé');
	});

	it('classifies numbers as serde_json does', () => {
		const u = (n: string) => outcome(`{"s":"","u":${n},"i":[1]}`);
		expect(u('18446744073709551615')).toContain('"u":"18446744073709551615n"');
		expect(u('18446744073709551616')).toBe(
			'data: invalid type: floating point `18446744073709551616`, expected u64',
		);
		expect(u('-0')).toBe('data: invalid type: floating point `-0`, expected u64');
		expect(u('-1')).toBe('data: invalid value: integer `-1`, expected u64');
		expect(u('-9223372036854775808')).toBe(
			'data: invalid value: integer `-9223372036854775808`, expected u64',
		);
		expect(u('-9223372036854775809')).toBe(
			'data: invalid type: floating point `-9223372036854775809`, expected u64',
		);
		expect(u('1.0')).toBe('data: invalid type: floating point `1.0`, expected u64');
		expect(u('1e2')).toBe('data: invalid type: floating point `1e2`, expected u64');
		expect(u('1E+2')).toBe('data: invalid type: floating point `1E+2`, expected u64');
		expect(u('1e-2')).toBe('data: invalid type: floating point `1e-2`, expected u64');
		expect(u('01')).toMatch(/^syntax: invalid number at byte 13$/);
		expect(u('1.')).toMatch(/^syntax: invalid number/);
		expect(u('1e')).toMatch(/^syntax: invalid number/);
		expect(u('-')).toMatch(/^syntax: invalid number/);
		expect(u('-a')).toMatch(/^syntax: invalid number/);
		expect(u('"1"')).toBe('data: invalid type: string, expected an integer');
		expect(outcome('{"s":"","u":1,"i":[301]}')).toBe(
			'data: invalid value: integer `301`, expected at most 300',
		);
		expect(outcome('{"s":"","u":1,"i":[300]}')).toContain('"n":"300n"');
	});

	it('names the JSON type found when the type is wrong', () => {
		const s = (json: string) => outcome(`{"s":${json}}`);
		expect(s('{}')).toBe('data: invalid type: map, expected a string');
		expect(s('[]')).toBe('data: invalid type: sequence, expected a string');
		expect(s('true')).toBe('data: invalid type: boolean, expected a string');
		expect(s('false')).toBe('data: invalid type: boolean, expected a string');
		expect(s('null')).toBe('data: invalid type: null, expected a string');
		expect(s('5')).toBe('data: invalid type: integer, expected a string');
		expect(s('-5.5')).toBe('data: invalid type: floating point, expected a string');
		expect(s('tru')).toMatch(/^syntax: expected ident/);
		expect(s('x')).toMatch(/^syntax: expected value/);
		expect(outcome('{"o":5}')).toBe('data: invalid type: integer, expected a string');
		expect(outcome('{"o":nul}')).toMatch(/^syntax: expected ident/);
		expect(outcome('{"i":"x"}')).toBe('data: invalid type: string, expected struct Inner');
		expect(outcome('"x"')).toBe('data: invalid type: string, expected struct Outer');
		expect(outcome('{"u":true}')).toBe('data: invalid type: boolean, expected an integer');
		expect(outcome('{"s":"\\ud800"}')).toMatch(/^syntax: lone leading surrogate/);
	});

	it('reports struct shape errors', () => {
		expect(outcome('{"s":"a","s":"b"}')).toBe('data: duplicate field `s`');
		expect(outcome('{"s":"a","u":1}')).toBe('data: missing field `i`');
		expect(outcome('{}')).toBe('data: missing field `s`');
		expect(outcome('["a",null]')).toBe(
			'data: invalid length 2, expected struct Outer with 4 elements',
		);
		expect(outcome('[]')).toBe('data: invalid length 0, expected struct Outer with 4 elements');
		expect(outcome('["a",null,1,[1],5]')).toMatch(/^syntax: trailing characters/);
		expect(outcome('["a",null,1,[1]')).toMatch(/^syntax: EOF while parsing a list/);
		expect(outcome('["a" null]')).toMatch(/^syntax: expected `,` or `]`/);
		expect(outcome('["a",]')).toMatch(/^syntax: trailing comma/);
		expect(outcome('["a"')).toMatch(/^syntax: EOF while parsing a list/);
		// A data error before a syntax error wins (one pass, document order).
		expect(outcome('{"s":1,')).toBe('data: invalid type: integer, expected a string');
	});
});

describe('readJson edges', () => {
	it('pins bounds, skip-path messages and error names', () => {
		const ok = ',"s":"","u":1,"i":[1]}';
		const s = (json: string) => JSON.parse(outcome(`{"s":${json},"u":1,"i":[1]}`)).s;
		expect(s('"a b"')).toBe('a b');
		expect(s('"\\ud800\\udc00"')).toBe('\ud800\udc00');
		expect(s('"\\u00a1\\u00A1\\u00ff\\u00FF\\u0090"')).toBe('\u00a1\u00a1\u00ff\u00ff\u0090');
		expect(outcome('{"s":"\\ud800Xudc00"}')).toMatch(/^syntax: lone leading surrogate/);
		expect(outcome('{"u":"\\ud800"}')).toMatch(/^syntax: lone leading surrogate/);
		expect(outcome('{"s":fals}')).toMatch(/^syntax: expected ident/);
		expect(outcome('{"s":nul}')).toMatch(/^syntax: expected ident/);
		expect(outcome('{"s":tr')).toMatch(/^syntax: EOF while parsing a value/);
		expect(outcome('{"s":0}')).toBe('data: invalid type: integer, expected a string');
		expect(outcome('{"s":9}')).toBe('data: invalid type: integer, expected a string');
		expect(outcome('{"s":"","u":9,"i":[1]}')).toContain('"u":"9n"');
		expect(outcome('{"s":"","u":1,"i":{}}')).toBe('data: missing field `n`');
		expect(outcome(`{"x":9${ok}`)).toContain('"s":""');
		expect(outcome(`{"x":0${ok}`)).toContain('"s":""');
		expect(outcome('{"x":')).toMatch(/^syntax: EOF while parsing a value/);
		expect(outcome('{"x":@}')).toMatch(/^syntax: expected value/);
		expect(outcome('{"x":[1 2]}')).toMatch(/^syntax: expected `,` at/);
		expect(outcome('{"x":[1')).toMatch(/^syntax: EOF while parsing a list/);
		expect(outcome('{"x":[1,]}')).toMatch(/^syntax: trailing comma/);
		expect(outcome('{"x":{1:1}}')).toMatch(/^syntax: key must be a string/);
		expect(outcome('{"x":{')).toMatch(/^syntax: EOF while parsing an object/);
		expect(outcome('{"x":{"a" 1}}')).toMatch(/^syntax: expected `:`/);
		expect(outcome('{"x":{"a":1,}}')).toMatch(/^syntax: trailing comma/);
		expect(new JsonSyntaxError('x').name).toBe('JsonSyntaxError');
		expect(new BodyDataError('x').name).toBe('BodyDataError');
	});
});

describe('readJson syntax errors', () => {
	it('gives serde_json-style messages with the byte position', () => {
		expect(outcome('')).toBe('syntax: EOF while parsing a value at byte 0');
		expect(outcome('  ')).toBe('syntax: EOF while parsing a value at byte 2');
		expect(outcome('{')).toBe('syntax: EOF while parsing an object at byte 1');
		expect(outcome('{"s":"a"')).toBe('syntax: EOF while parsing an object at byte 8');
		expect(outcome('{"s":"a" "u":1}')).toBe('syntax: expected `,` or `}` at byte 9');
		expect(outcome('{"s":"a",}')).toBe('syntax: trailing comma at byte 9');
		expect(outcome('{"s":"a",')).toBe('syntax: EOF while parsing an object at byte 9');
		expect(outcome('{s:1}')).toBe('syntax: key must be a string at byte 1');
		expect(outcome('{"s" 1}')).toBe('syntax: expected `:` at byte 5');
		expect(outcome('{"s":"a","u":1,"i":[1]} x')).toBe('syntax: trailing characters at byte 24');
		expect(outcome('{"s":"a\nb"}')).toMatch(/^syntax: control character/);
		expect(outcome('{"s":"a')).toBe('syntax: EOF while parsing a string at byte 7');
		expect(outcome('{"s":"\\')).toMatch(/^syntax: EOF while parsing a string/);
		expect(outcome('{"s":"\\x"}')).toBe('syntax: invalid escape at byte 7');
		expect(outcome('{"s":"\\u12"}')).toMatch(/^syntax: invalid escape/);
		expect(outcome('{"s":"\\u12')).toMatch(/^syntax: EOF while parsing a string/);
		expect(outcome('{"s":"\\u12g4"}')).toMatch(/^syntax: invalid escape/);
		expect(outcome('{"s":"\\u12G4"}')).toMatch(/^syntax: invalid escape/);
		expect(outcome('{"s":"\\u12/4"}')).toMatch(/^syntax: invalid escape/);
		expect(outcome('{"s":"\\u12:4"}')).toMatch(/^syntax: invalid escape/);
		expect(outcome('{"s":"\\u12@4"}')).toMatch(/^syntax: invalid escape/);
		expect(outcome('{"s":"\\u12`4"}')).toMatch(/^syntax: invalid escape/);
		expect(outcome('{"s":"\\udc00"}')).toMatch(/^syntax: lone trailing surrogate/);
		expect(outcome('{"s":"\\udfff"}')).toMatch(/^syntax: lone trailing surrogate/);
		expect(outcome('{"s":"\\ud800x"}')).toMatch(/^syntax: lone leading surrogate/);
		expect(outcome('{"s":"\\ud800\\n"}')).toMatch(/^syntax: lone leading surrogate/);
		expect(outcome('{"s":"\\udbff\\u0041"}')).toMatch(/^syntax: lone leading surrogate/);
		expect(outcome('{"s":"\\udbff\\ue000"}')).toMatch(/^syntax: lone leading surrogate/);
		expect(JSON.parse(outcome('{"s":"\\udbff\\udfff","u":1,"i":[1]}')).s).toBe('\udbff\udfff');
		expect(JSON.parse(outcome('{"s":"\\ud7ff\\ue000","u":1,"i":[1]}')).s).toBe('\ud7ff\ue000');
	});

	it('refuses invalid UTF-8 in deserialized strings only', () => {
		const bytes = (prefix: string, raw: number[], suffix: string) =>
			new Uint8Array([
				...new TextEncoder().encode(prefix),
				...raw,
				...new TextEncoder().encode(suffix),
			]);
		expect(() => readJson(bytes('{"s":"a', [0xff], 'b"}'), TYPE)).toThrow(
			/invalid unicode code point/,
		);
		expect(() =>
			readJson(bytes('{"x":"a', [0xff], 'b","s":"","u":1,"i":[1]}'), TYPE),
		).not.toThrow();
	});

	it('stops at 128 nested containers, counting skipped ones too', () => {
		const deep = (n: number) => `{"x":${'['.repeat(n)}${']'.repeat(n)},"s":"","u":1,"i":[1]}`;
		expect(outcome(deep(126))).toContain('"s":""');
		expect(outcome(deep(127))).toMatch(/^syntax: recursion limit exceeded/);
		const deepMap = (n: number) =>
			`{"x":${'{"a":'.repeat(n)}1${'}'.repeat(n)},"s":"","u":1,"i":[1]}`;
		expect(outcome(deepMap(126))).toContain('"s":""');
		expect(outcome(deepMap(127))).toMatch(/^syntax: recursion limit exceeded/);
		// The limit is per nesting, not per container count.
		const wide = `{"x":[${Array(200).fill('[]').join(',')}],"s":"","u":1,"i":[1]}`;
		expect(outcome(wide)).toContain('"s":""');
		const nestedStructs: StructType = {
			kind: 'struct',
			name: 'Wrap',
			fields: [{ name: 'i', type: INNER }],
		};
		expect(outcome('{"i":{"n":1}}', nestedStructs)).toBe('{"i":{"n":"1n"}}');
	});

	it('skips an unknown value exactly when JSON.parse accepts it', () => {
		const values = [
			'1',
			'-1',
			'0',
			'-0',
			'1.5',
			'1e5',
			'1E-5',
			'-1.5e+5',
			'01',
			'1.',
			'.5',
			'+1',
			'1e',
			'-',
			'"a"',
			'"\\u00e9"',
			'"\\x"',
			'"\\u12"',
			'"a',
			'"\\"',
			'"\\ud800"',
			'true',
			'false',
			'null',
			'tru',
			'nul',
			'fals',
			'True',
			'x',
			'[]',
			'[1]',
			'[1,2]',
			'[1,]',
			'[,1]',
			'[1 2]',
			'[',
			'[1',
			'[[]]',
			'[{}]',
			'{}',
			'{"a":1}',
			'{"a":1,"b":[2]}',
			'{"a":1,}',
			'{a:1}',
			'{"a" 1}',
			'{"a":}',
			'{"a":1 "b":2}',
			'{',
			'{"a"',
			'{"a":1',
			'{1:1}',
			'{,}',
			'[,]',
			'',
		];
		for (const value of values) {
			const text = `{"x":${value},"s":"","u":1,"i":[1]}`;
			let valid = true;
			try {
				JSON.parse(text);
			} catch {
				valid = false;
			}
			const result = outcome(text);
			expect(result.startsWith('syntax:'), `${value} → ${result}`).toBe(!valid);
		}
	});
});
