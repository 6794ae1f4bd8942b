// Schema migrations for the store. Migration N takes a database at
// user_version N-1 to N. Never edit a migration that has shipped: add one.
// test/unit/store/migrations.test.ts upgrades from every earlier version.
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'tracking: projects, runs, narrow metric rows, summaries, watchers, alerts, stop requests',
    up(db) {
      db.exec(`
        CREATE TABLE projects (
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          created_at TEXT NOT NULL
        );
        CREATE TABLE runs (
          id TEXT PRIMARY KEY,
          project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
          name TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('running','finished','failed','cancelled','stopped','crashed')),
          config TEXT NOT NULL DEFAULT '{}',
          created_at TEXT NOT NULL,
          ended_at TEXT,
          heartbeat_at REAL,
          pid INTEGER,
          pid_start TEXT,
          host TEXT,
          exit_code INTEGER,
          signal TEXT,
          reason TEXT,
          next_step INTEGER NOT NULL DEFAULT 0,
          malformed_lines INTEGER NOT NULL DEFAULT 0,
          rejected_values INTEGER NOT NULL DEFAULT 0,
          last_warning TEXT,
          progress_current REAL,
          progress_total REAL,
          updated_at TEXT NOT NULL
        );
        CREATE INDEX runs_project ON runs(project_id, created_at);
        CREATE INDEX runs_name ON runs(name);
        CREATE INDEX runs_status ON runs(status);
        CREATE TABLE metric_names (
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL UNIQUE
        );
        -- One row per logged point. value NULL means NaN (SQLite stores NaN as NULL);
        -- +/-Infinity are stored as REAL infinities.
        CREATE TABLE metrics (
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          metric_id INTEGER NOT NULL REFERENCES metric_names(id),
          step INTEGER NOT NULL,
          value REAL,
          wall_time REAL NOT NULL
        );
        CREATE INDEX metrics_run_metric_step ON metrics(run_id, metric_id, step);
        -- Kept current on every write so summaries never scan history.
        CREATE TABLE metric_summary (
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          metric_id INTEGER NOT NULL REFERENCES metric_names(id),
          count INTEGER NOT NULL,
          nan_count INTEGER NOT NULL,
          inf_count INTEGER NOT NULL,
          last REAL,
          last_is_nan INTEGER NOT NULL,
          last_step INTEGER NOT NULL,
          last_wall REAL NOT NULL,
          first_step INTEGER NOT NULL,
          min REAL,
          min_step INTEGER,
          max REAL,
          max_step INTEGER,
          last_finite REAL,
          last_finite_step INTEGER,
          PRIMARY KEY (run_id, metric_id)
        ) WITHOUT ROWID;
        CREATE TABLE watchers (
          id INTEGER PRIMARY KEY,
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          metric TEXT NOT NULL,
          spec TEXT NOT NULL,
          state TEXT NOT NULL DEFAULT '{}',
          created_at TEXT NOT NULL
        );
        CREATE INDEX watchers_run ON watchers(run_id);
        CREATE TABLE alerts (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          level TEXT NOT NULL CHECK (level IN ('info','warn','error')),
          reason TEXT NOT NULL,
          title TEXT NOT NULL,
          text TEXT NOT NULL DEFAULT '',
          metric TEXT,
          step INTEGER,
          data TEXT NOT NULL DEFAULT '{}',
          watcher_id INTEGER REFERENCES watchers(id) ON DELETE SET NULL,
          acknowledged INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX alerts_run ON alerts(run_id, id);
        CREATE INDEX alerts_created ON alerts(created_at);
        -- Text samples a trainer produced (e.g. generations every N steps).
        CREATE TABLE run_samples (
          id INTEGER PRIMARY KEY,
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          step INTEGER,
          prompt TEXT,
          text TEXT NOT NULL,
          created_at TEXT NOT NULL
        );
        CREATE INDEX run_samples_run ON run_samples(run_id, id);
        -- Files a run produced that users act on: checkpoints, adapters.
        CREATE TABLE run_artifacts (
          id INTEGER PRIMARY KEY,
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          kind TEXT NOT NULL,
          step INTEGER,
          path TEXT NOT NULL,
          data TEXT NOT NULL DEFAULT '{}',
          created_at TEXT NOT NULL
        );
        CREATE INDEX run_artifacts_run ON run_artifacts(run_id, id);
        CREATE TABLE stop_requests (
          run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
          requested_at TEXT NOT NULL,
          source TEXT NOT NULL,
          reason TEXT NOT NULL,
          alert_id INTEGER
        );
      `);
    },
  },
  {
    version: 2,
    description: 'datasets: audio embeddings by content hash and model, file facts (hash, probe) by size and mtime, caption records',
    up(db) {
      db.exec(`
        -- One L2-normalised float32 vector per (audio content, model); the projection view reuses them.
        CREATE TABLE audio_embeddings (
          content_hash TEXT NOT NULL,
          model_key TEXT NOT NULL,
          model_id TEXT NOT NULL,
          dim INTEGER NOT NULL,
          vector BLOB NOT NULL,
          windows INTEGER NOT NULL,
          source_path TEXT,
          created_at TEXT NOT NULL,
          PRIMARY KEY (content_hash, model_key)
        ) WITHOUT ROWID;
        CREATE INDEX audio_embeddings_model ON audio_embeddings(model_key);
        -- What is known about a file while its size, mtime and inode stay the same.
        CREATE TABLE file_facts (
          path TEXT PRIMARY KEY,
          size INTEGER NOT NULL,
          mtime_ms REAL NOT NULL,
          ino TEXT NOT NULL,
          sha256 TEXT,
          probe TEXT,
          checked_at TEXT NOT NULL
        ) WITHOUT ROWID;
        -- The tags the captioner wrote into a prompt file, to tell them from user-written ones.
        CREATE TABLE sample_captions (
          prompt_path TEXT PRIMARY KEY,
          auto_tags TEXT NOT NULL,
          model_key TEXT NOT NULL,
          labels_hash TEXT NOT NULL,
          prompt_size INTEGER NOT NULL,
          prompt_mtime_ms REAL NOT NULL,
          captioned_at TEXT NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 3,
    description: 'jobs: persistent queue, supervision state, scheduler lease',
    up(db) {
      db.exec(`
        CREATE TABLE jobs (
          id TEXT PRIMARY KEY,
          state TEXT NOT NULL CHECK (state IN ('queued','starting','running','completed','failed','cancelled','stopped')),
          name TEXT NOT NULL,
          project TEXT NOT NULL,
          spec TEXT NOT NULL,
          spec_file TEXT,
          priority INTEGER NOT NULL DEFAULT 0,
          seq INTEGER NOT NULL,
          attempt INTEGER NOT NULL DEFAULT 0,
          pid INTEGER,
          pid_start TEXT,
          exit_code INTEGER,
          signal TEXT,
          reason TEXT,
          error_summary TEXT,
          run_id TEXT REFERENCES runs(id) ON DELETE SET NULL,
          created_at TEXT NOT NULL,
          started_at TEXT,
          ended_at TEXT,
          updated_at TEXT NOT NULL,
          log_offset INTEGER NOT NULL DEFAULT 0,
          progress_current REAL,
          progress_total REAL,
          status_text TEXT,
          cancel_requested TEXT,
          supervisor TEXT
        );
        CREATE INDEX jobs_queue ON jobs(state, priority DESC, seq);
        CREATE INDEX jobs_run ON jobs(run_id);
        -- One scheduler per store: the holder renews its heartbeat; others only read.
        CREATE TABLE leases (
          name TEXT PRIMARY KEY,
          holder TEXT NOT NULL,
          pid INTEGER,
          pid_start TEXT,
          host TEXT,
          acquired_at TEXT NOT NULL,
          heartbeat_at REAL NOT NULL
        );
      `);
    },
  },
  {
    version: 4,
    description: 'tracking: level-of-detail summaries of metric history (charts read buckets, not every point); a covering index for raw ranges',
    up(db) {
      db.exec(`
        CREATE TABLE metric_lod (
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          metric_id INTEGER NOT NULL REFERENCES metric_names(id),
          level INTEGER NOT NULL,
          bucket INTEGER NOT NULL,
          count INTEGER NOT NULL,
          min REAL,
          min_step INTEGER,
          min_wall REAL,
          max REAL,
          max_step INTEGER,
          max_wall REAL,
          nonfinite INTEGER NOT NULL,
          nan INTEGER NOT NULL,
          nf_first INTEGER,
          nf_last INTEGER,
          PRIMARY KEY (run_id, metric_id, level, bucket)
        ) WITHOUT ROWID;
        -- Raw ranges (zoomed charts, exports) read the index alone.
        DROP INDEX metrics_run_metric_step;
        CREATE INDEX metrics_run_metric_step ON metrics(run_id, metric_id, step, value, wall_time);
      `);
      // The summaries of the points already stored, in SQL frozen here (a shipped migration must not run
      // live code). Per bucket: the first point in step order holding the finite min / max, as the writer
      // keeps them. The finest level (64 steps) is read from the points; each coarser level (×4) from the
      // one below it, which gives the same buckets (children cover disjoint steps) at a fraction of the cost.
      const finite = `value IS NOT NULL AND value > -1.7976931348623157e308 AND value < 1.7976931348623157e308`;
      const at = (col: string, agg: 'min' | 'max') =>
        `(SELECT m.${col} FROM metrics m WHERE m.run_id = g.run_id AND m.metric_id = g.metric_id AND m.step BETWEEN g.bucket * 64 AND g.bucket * 64 + 63
            AND m.value = g.${agg} ORDER BY m.step, m.wall_time, m.rowid LIMIT 1)`;
      db.exec(`
        INSERT INTO metric_lod(run_id, metric_id, level, bucket, count, min, min_step, min_wall, max, max_step, max_wall, nonfinite, nan, nf_first, nf_last)
        SELECT g.run_id, g.metric_id, 6, g.bucket, g.count, g.min, ${at('step', 'min')}, ${at('wall_time', 'min')},
               g.max, ${at('step', 'max')}, ${at('wall_time', 'max')}, g.nonfinite, g.nan, g.nf_first, g.nf_last
        FROM (
          SELECT run_id, metric_id, step / 64 AS bucket, count(*) AS count,
                 min(CASE WHEN ${finite} THEN value END) AS min, max(CASE WHEN ${finite} THEN value END) AS max,
                 sum(NOT (${finite})) AS nonfinite, sum(value IS NULL) AS nan,
                 min(CASE WHEN NOT (${finite}) THEN step END) AS nf_first, max(CASE WHEN NOT (${finite}) THEN step END) AS nf_last
          FROM metrics GROUP BY run_id, metric_id, step / 64
        ) g
      `);
      for (let level = 8; level <= 30; level += 2) {
        db.exec(`
          INSERT INTO metric_lod(run_id, metric_id, level, bucket, count, min, min_step, min_wall, max, max_step, max_wall, nonfinite, nan, nf_first, nf_last)
          WITH r AS (
            SELECT *, bucket / 4 AS up,
              ROW_NUMBER() OVER (PARTITION BY run_id, metric_id, bucket / 4 ORDER BY min IS NULL, min ASC, min_step) AS rmin,
              ROW_NUMBER() OVER (PARTITION BY run_id, metric_id, bucket / 4 ORDER BY max IS NULL, max DESC, max_step) AS rmax
            FROM metric_lod WHERE level = ${level - 2}
          )
          SELECT run_id, metric_id, ${level}, up, sum(count),
            max(CASE WHEN rmin = 1 THEN min END), max(CASE WHEN rmin = 1 THEN min_step END), max(CASE WHEN rmin = 1 THEN min_wall END),
            max(CASE WHEN rmax = 1 THEN max END), max(CASE WHEN rmax = 1 THEN max_step END), max(CASE WHEN rmax = 1 THEN max_wall END),
            sum(nonfinite), sum(nan), min(nf_first), max(nf_last)
          FROM r GROUP BY run_id, metric_id, up
        `);
      }
    },
  },
  {
    version: 5,
    description: 'jobs: TensorBoard read positions committed with the metrics read up to them (exact resume after a runtime crash)',
    up(db) {
      db.exec(`ALTER TABLE jobs ADD COLUMN tailer_offsets TEXT`);
    },
  },
  {
    version: 6,
    description: 'follow: read positions of unsupervised run files (Python client), committed with the points read up to them',
    up(db) {
      db.exec(`
        CREATE TABLE run_files (
          file TEXT PRIMARY KEY,
          run_id TEXT NOT NULL,
          offset INTEGER NOT NULL DEFAULT 0,
          ended TEXT,
          state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active','done')),
          updated_at TEXT NOT NULL
        );
      `);
    },
  },
  {
    version: 7,
    description: 'team server: hashed API tokens with roles, who wrote each run, and per-client point batch watermarks (a replayed batch is applied once)',
    up(db) {
      db.exec(`
        CREATE TABLE api_tokens (
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          role TEXT NOT NULL CHECK (role IN ('read','write','admin')),
          hash TEXT NOT NULL UNIQUE,
          created_at TEXT NOT NULL,
          last_used_at TEXT
        );
        CREATE TABLE run_writers (
          run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
          token_name TEXT NOT NULL,
          created_at TEXT NOT NULL
        );
        CREATE TABLE point_watermarks (
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          client TEXT NOT NULL,
          seq INTEGER NOT NULL,
          PRIMARY KEY (run_id, client)
        );
      `);
    },
  },
  {
    version: 8,
    description: 'projection: embedding snapshots a run sends (vectors as float32 blobs) and computed layouts keyed by their input, so a map reopens without recomputing',
    up(db) {
      db.exec(`
        CREATE TABLE embedding_snapshots (
          id INTEGER PRIMARY KEY,
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          space TEXT NOT NULL,
          step INTEGER,
          count INTEGER NOT NULL,
          dim INTEGER NOT NULL,
          ids TEXT NOT NULL,
          labels TEXT,
          vectors BLOB NOT NULL,
          source TEXT NOT NULL,
          created_at TEXT NOT NULL
        );
        CREATE INDEX embedding_snapshots_run ON embedding_snapshots(run_id, space, step);
        CREATE TABLE embedding_layouts (
          key TEXT PRIMARY KEY,
          snapshot_id INTEGER REFERENCES embedding_snapshots(id) ON DELETE CASCADE,
          method TEXT NOT NULL,
          count INTEGER NOT NULL,
          layout BLOB NOT NULL,
          info TEXT NOT NULL,
          created_at TEXT NOT NULL
        );
      `);
    },
  },
  {
    version: 9,
    description: 'dataset editor: waveform peaks of audio files (min/max int8 per bucket), kept while a file keeps its size and mtime',
    up(db) {
      db.exec(`
        CREATE TABLE waveform_peaks (
          path TEXT NOT NULL,
          buckets INTEGER NOT NULL,
          size INTEGER NOT NULL,
          mtime_ms REAL NOT NULL,
          duration REAL NOT NULL,
          peaks BLOB NOT NULL,
          PRIMARY KEY (path, buckets)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 10,
    description: 'sweeps: a grid or random search over a config (tunestudio sweep) and its trials, each a job and its run, with the sweep\'s best run',
    up(db) {
      db.exec(`
        CREATE TABLE sweeps (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          project TEXT NOT NULL,
          spec TEXT NOT NULL,
          state TEXT NOT NULL,
          best_run_id TEXT REFERENCES runs(id) ON DELETE SET NULL,
          created_at TEXT NOT NULL,
          ended_at TEXT
        );
        CREATE TABLE sweep_trials (
          sweep_id TEXT NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
          idx INTEGER NOT NULL,
          job_id TEXT NOT NULL,
          run_id TEXT REFERENCES runs(id) ON DELETE SET NULL,
          params TEXT NOT NULL,
          status TEXT,
          value REAL,
          PRIMARY KEY (sweep_id, idx)
        );
        CREATE INDEX sweep_trials_run ON sweep_trials(run_id);
      `);
    },
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
