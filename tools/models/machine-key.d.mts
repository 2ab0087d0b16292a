/** The cache folder holding this machine's megenginelite outputs of the fixtures. */
export function liteRefsDir(): string;
