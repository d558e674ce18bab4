/** Whether `ids` starts with all of `prefix` (a token sequence that continues another exactly). */
export function extendsIds(ids: readonly number[], prefix: readonly number[]): boolean {
  if (ids.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (ids[i] !== prefix[i]) return false;
  return true;
}
