export function buildMindsporeShim() {}
