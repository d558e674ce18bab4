/** Bumped when a stored or transmitted shape changes incompatibly; stored trajectories carry it. */
export const PROTOCOL_VERSION = "1.0";
