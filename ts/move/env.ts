/** The environment variables the Move toolchain reads (always passed in, never `process.env`). */
export type MoveToolchainEnv = Readonly<Record<string, string | undefined>>;
