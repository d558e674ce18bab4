/** DDL of store.db. `user_version` tracks it so later versions can migrate in place. */
export const STORE_SCHEMA_VERSION = 1;

export const STORE_DDL = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  config TEXT NOT NULL,
  env_name TEXT NOT NULL,
  env_hash TEXT NOT NULL,
  summary TEXT,
  error TEXT
);
CREATE TABLE IF NOT EXISTS trajectories (
  id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  task_index INTEGER NOT NULL,
  group_id TEXT NOT NULL,
  sample_index INTEGER NOT NULL,
  status TEXT NOT NULL,
  stop_reason TEXT NOT NULL,
  reward REAL,
  advantage REAL,
  components TEXT NOT NULL,
  turns INTEGER NOT NULL,
  tool_calls INTEGER NOT NULL,
  error TEXT,
  reward_errors INTEGER NOT NULL,
  duration_ms REAL NOT NULL,
  finished_at INTEGER NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS trajectories_run ON trajectories(run_id, task_index, sample_index);
CREATE INDEX IF NOT EXISTS trajectories_group ON trajectories(group_id);
CREATE INDEX IF NOT EXISTS trajectories_reward ON trajectories(run_id, reward);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT,
  ts INTEGER NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_run ON events(run_id, seq);
CREATE TABLE IF NOT EXISTS metrics (
  run_id TEXT NOT NULL,
  step INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  "values" TEXT NOT NULL,
  PRIMARY KEY (run_id, step)
);
-- Per unfinished run: how many runners went down (not a clean stop) while it was active, and
-- whether the last runner stopped cleanly. A run that took the runner down twice is not resumed.
CREATE TABLE IF NOT EXISTS run_restarts (
  run_id TEXT PRIMARY KEY,
  crashes INTEGER NOT NULL DEFAULT 0,
  clean_stop INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS blobs (
  sha256 TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  mime TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
`;
