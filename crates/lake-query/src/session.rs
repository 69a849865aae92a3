//! The DataFusion session over a lake.

use std::sync::Arc;

use arrow::array::{Array, AsArray, BooleanArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use chrono::{Days, NaiveDate, Utc};
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::{MemTable, TableProvider};
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::logical_expr::expr_rewriter::unnormalize_col;
use datafusion::logical_expr::{LogicalPlan, SortExpr};
use datafusion::prelude::{col, lit, DataFrame, SessionConfig, SessionContext};
use datafusion::scalar::ScalarValue;
use lake_core::schema::{findings_schema, PARTITION_COLUMN};
use lake_core::IsoWeek;
use lake_store::changes::{Inputs as ChangeInputs, Stored};
use lake_store::compact::{COMPACT_ROOT, COVER_COLUMN};
use lake_store::layout::{FINDINGS_TABLE, SCANS_TABLE};
use lake_store::read::FindingsFiles;
use lake_store::Location;

use crate::copies::WithCopies;
use crate::dialect::{CHANGES, CONTEXT, VIEWS};
use crate::error::{QueryError, Result};
use crate::index::FailureIndex;
use crate::json::text_at;
use crate::materialized::Materialized;
use crate::named::{named, Params};
use crate::observed::Observed;
use crate::pruned::Pruned;
use crate::stored::StoredRows;

/// Bytes read from the end of a Parquet file to get its footer and page index in one
/// read: a findings file of one row group needs ~25 KB, one of a large account (several
/// row groups) a little more; a larger footer costs a second read, never an error.
const METADATA_SIZE_HINT: usize = 64 * 1024;

/// The view of `queries/changes.sql` that [`lake_store::failures`] materializes.
const FIRST_FAILURES: &str = "first_failures";
/// The views of `queries/views.sql` that [`lake_store::observed`] answers (see [`Observed`]).
const SCAN_CELLS: &str = "scan_cells";
const REPEATED_KEYS: &str = "repeated_keys";

/// The views that a query scoped to a few weeks computes once (see [`Materialized`]): the
/// scan standing for each cell, the week's observations, the checks of scans and the cells
/// superseded, which the week states read; the cells, regions, checks and services observed,
/// which every evidence lookup of `finding_changes` reads (each several times).
const MATERIALIZED: [&str; 19] = [
    // the risk views (queries/context.sql): each read by several others (and a few rows
    // per account, whose size a materialized table gives the planner: joined as the small
    // side of each open failure's lookup rather than as a hash table of the failures)
    "account_context",
    "account_defaults",
    "open_findings",
    "resource_kinds",
    "finding_attributes",
    "finding_history_stats",
    "finding_exceptions",
    "finding_reports",
    "finding_lifecycle",
    "standing_cells",
    "week_observations",
    "standing_checks",
    "superseded_cells",
    "week_cells",
    "week_regions",
    "week_checks",
    "week_services",
    // the resources of a pair's two sides, each read twice by finding_changes
    "pair_resources",
    "baseline_resources",
];

/// The view of a week's failing findings with their text that `finding_changes` reads twice:
/// materialized with the columns its readers read (see [`Materialized::by_columns`]) when
/// whole weeks are classified.
const FAILING_NOW: &str = "failing_now";

/// The views a manifest session registers (see [`Lake::manifest_context`]), in the order
/// the scripts define them.
const MANIFEST_VIEWS: [&str; 5] = [
    "landed_scans",
    "week_regions",
    "account_weeks",
    "carried_baselines",
    "carried_regions",
];

/// The one-table `diff_pairs`: the pairs (week, against) a session classifies.
fn pairs_table(pairs: &Pairs) -> Result<Arc<MemTable>> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("week", DataType::Utf8, false),
        Field::new("against", DataType::Utf8, true),
    ]));
    let weeks: StringArray = pairs.iter().map(|(w, _)| Some(w.as_str())).collect();
    let against: StringArray = pairs.iter().map(|(_, a)| a.as_deref()).collect();
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(weeks), Arc::new(against)])?;
    Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
}

/// What [`Lake::store_changes`] did: the pairs (week, against) whose changes it wrote, and
/// how many pairs had current ones already; the pairs whose risk rows it wrote.
#[derive(Debug, Default, Clone)]
pub struct ChangesStored {
    /// The pairs (week, against) whose changes were written.
    pub written: Vec<(String, String)>,
    /// How many pairs had current stored changes already.
    pub current: usize,
    /// The pairs whose risk rows (open failures, lifecycle) were written.
    pub risk_written: Vec<(String, String)>,
}

/// What the risk rows ([`Stored::RISK`]) are computed from beyond what the changes'
/// fingerprint digests (views.sql and changes.sql whole): the statements of context.sql
/// that define the views they read, themselves included. An edit of another risk view
/// (the score, what the queries show) leaves them current.
/// (The scripts are compiled in: worked out once per process.)
fn risk_definitions() -> &'static str {
    static DEFINITIONS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let read = crate::dialect::views_read(&Stored::RISK.map(|w| w.view()), &[]);
        statements(CONTEXT)
            .into_iter()
            .filter(|s| crate::dialect::view_of(s).is_some_and(|(name, _)| read.contains(name)))
            .collect::<Vec<_>>()
            .join("\n;\n")
    });
    &DEFINITIONS
}

/// The pairs of a session whose stored rows are current (see [`Lake::current_pairs`]),
/// each with the fingerprint it was checked under: the changes ([`Stored::ALL`]), the risk
/// rows ([`Stored::RISK`]); none: the views compute them.
#[derive(Debug, Default)]
struct CurrentPairs {
    changes: Option<Vec<(String, String, lake_store::changes::Fingerprint)>>,
    risk: Option<Vec<(String, String, lake_store::changes::Fingerprint)>>,
}

/// A lake opened for queries.
#[derive(Debug, Clone)]
pub struct Lake {
    location: Location,
    /// Shared by every query of this `Lake`: its caches (Parquet footers, the object
    /// stores) serve the several statements of a summary, or a summary then a diff, without
    /// reading the same footers again (each read is a round trip on S3).
    runtime: Arc<RuntimeEnv>,
}

/// The pairs of (week, against) that `finding_changes` classifies.
pub(crate) type Pairs = Vec<(String, Option<String>)>;

impl Lake {
    /// Opens the lake at `location` for reading. Nothing is read until a query runs.
    pub fn from_location(location: Location) -> Self {
        Lake {
            location,
            runtime: Arc::new(RuntimeEnv::default()),
        }
    }

    /// The lake's location.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Reads the `scans` manifest, the one table every query reads whole (one small row
    /// per ingested source). Read once per query, it answers which weeks have data and in
    /// which partitions their findings lie.
    ///
    /// With `source` (`--source`), only that producer's scans: every view reaches findings
    /// and observations through the scans (one producer per file), so the query then sees
    /// the lake as if it held that producer's scans alone.
    pub(crate) async fn manifest(&self, source: Option<&str>) -> Result<Manifest> {
        // The findings files are listed at most once: for the rows' check against their
        // files, the copies and the failure index.
        let findings = FindingsFiles::default();
        let (mut batches, copies, context) = futures::try_join!(
            lake_store::read::checked_scan_batches(&self.location, &findings),
            lake_store::compact::usable_among(&self.location, &findings),
            lake_store::context::read(&self.location)
        )?;
        if let Some(source) = source {
            batches = batches
                .iter()
                .map(|b| of_source(b, source))
                .collect::<Result<_>>()?;
        }
        let schema = lake_store::read::scans_table_schema();
        let scans = batches.clone();
        let context_set = context.versions.iter().any(|b| b.num_rows() > 0);
        let context = [
            (
                lake_core::schema::context_versions_schema(),
                context.versions,
            ),
            (
                lake_core::schema::context_accounts_schema(),
                context.accounts,
            ),
            (lake_core::schema::context_rules_schema(), context.rules),
        ]
        .into_iter()
        .map(|(schema, batches)| Ok(Arc::new(MemTable::try_new(schema, vec![batches])?)))
        .collect::<Result<Vec<_>>>()?;
        Ok(Manifest {
            table: Arc::new(MemTable::try_new(schema, vec![batches])?),
            scans,
            whole: source.is_none(),
            copies,
            findings,
            context,
            context_set,
            history: None,
            risk: None,
        })
    }

    fn bare_context(&self) -> Result<SessionContext> {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let mut config = SessionConfig::new()
            .with_target_partitions(threads)
            .with_information_schema(true)
            .with_collect_statistics(false);
        // No late materialization by default: the week-scoped filters keep about half of
        // the rows (FAIL against PASS), and decoding the filter columns first then the rest
        // cost more than it saved (`diff`: 3.3 -> 2.9 s of CPU).
        config.options_mut().execution.parquet.pushdown_filters = false;
        config.options_mut().execution.parquet.reorder_filters = true;
        // Build one hash table shared by both cores, rather than two halves after
        // repartitioning both sides by key, up to a week's keys: the classification of a
        // week's changes joins ~250 K rows with ~450 K, and the repartitioning copied every
        // carried column (`diff`: -0.2 s of 1.9 s).
        config
            .options_mut()
            .optimizer
            .hash_join_single_partition_threshold_rows = 2_000_000;
        config
            .options_mut()
            .optimizer
            .hash_join_single_partition_threshold = 512 * 1024 * 1024;
        // Each findings file's footer and page index together are tens of kilobytes; the
        // default guess of 512 KiB copied half of every ~1 MB file just to open it.
        config.options_mut().execution.parquet.metadata_size_hint = Some(METADATA_SIZE_HINT);
        // lake writes no bloom filters; looking for them in every row group cost ~0.1 s of
        // CPU on a 90-day lookback (1,200 files).
        config.options_mut().execution.parquet.bloom_filter_on_read = false;
        let ctx = SessionContext::new_with_config_rt(config, self.runtime.clone());
        if self.location.local_dir.is_none() {
            let bucket = self
                .location
                .url
                .trim_start_matches("s3://")
                .split('/')
                .next()
                .unwrap_or_default();
            let url = url::Url::parse(&format!("s3://{bucket}")).map_err(|e| {
                QueryError::DataFusion(datafusion::error::DataFusionError::External(Box::new(e)))
            })?;
            ctx.register_object_store(&url, self.location.store.clone());
        }
        Ok(ctx)
    }

    /// A session with `scans` (from `manifest`), `findings` (the partitions of `scope`),
    /// `findings_history` (every partition, for "did it ever fail before"), the views, and
    /// `diff_pairs` holding `pairs`.
    ///
    /// `reads`: what the session will run, so that it defines only the views that reads
    /// (see [`Reads`]).
    pub(crate) async fn context(
        &self,
        manifest: &Manifest,
        pairs: &Pairs,
        scope: &Scope,
        reads: Reads<'_>,
    ) -> Result<SessionContext> {
        let started = std::time::Instant::now();
        let ctx = self.bare_context()?;
        for (name, table) in &reads.provided {
            ctx.register_table(*name, table.clone())?;
        }
        ctx.register_table(SCANS_TABLE, manifest.table.clone())?;
        for (name, table) in ["context_versions", "context_accounts", "context_rules"]
            .into_iter()
            .zip(&manifest.context)
        {
            ctx.register_table(name, table.clone())?;
        }
        let plain = self.listing(FINDINGS_TABLE, findings_schema()).await?;
        let history = self.with_copies(plain.clone(), &manifest.copies, None)?;
        let findings: Arc<dyn TableProvider> = match scope {
            Scope::All => history.clone(),
            Scope::Partitions(dts) | Scope::Checks(dts) | Scope::Lookup(dts) if dts.is_empty() => {
                Arc::new(MemTable::try_new(history.schema(), vec![vec![]])?)
            }
            Scope::Partitions(dts) | Scope::Checks(dts) | Scope::Lookup(dts) => Arc::new(
                Pruned::new(self.with_copies(plain, &manifest.copies, Some(dts))?, dts),
            ),
        };
        ctx.register_table(FINDINGS_TABLE, findings)?;
        // The history the lifecycle of the risk views reads: the window's partitions.
        let (window, from): (Arc<dyn TableProvider>, Option<&str>) = match &manifest.history {
            Some(h) if h.dts.is_empty() => (
                Arc::new(MemTable::try_new(history.schema(), vec![vec![]])?),
                Some(&h.from),
            ),
            Some(h) => (
                Arc::new(Pruned::new(
                    self.with_copies(
                        self.listing(FINDINGS_TABLE, findings_schema()).await?,
                        &manifest.copies,
                        Some(&h.dts),
                    )?,
                    &h.dts,
                )),
                Some(&h.from),
            ),
            None => (history.clone(), None),
        };
        ctx.register_table("window_findings", window)?;
        let window_schema = Arc::new(Schema::new(vec![Field::new(
            "history_from",
            DataType::Utf8,
            true,
        )]));
        let window_row = RecordBatch::try_new(
            window_schema.clone(),
            vec![Arc::new(StringArray::from(vec![from]))],
        )?;
        ctx.register_table(
            "history_window",
            Arc::new(MemTable::try_new(window_schema, vec![vec![window_row]])?),
        )?;
        ctx.register_table("findings_history", history)?;
        // The risk queries' thresholds and dimensions, written into the views that name
        // them (`risk_selected`) as literals.
        let risk = match &manifest.risk {
            Some(values) => values.clone(),
            None => risk_values(&Params::default())?,
        };
        ctx.register_table("diff_pairs", pairs_table(pairs)?)?;
        // Whether a key failed before: from the failure index, not the view over the
        // whole history (see `FailureIndex`).
        ctx.register_table(
            FIRST_FAILURES,
            Arc::new(FailureIndex::new(
                self.location.clone(),
                manifest.findings.clone(),
            )),
        )?;
        // Scoped to a few weeks, the views many others read are computed once; otherwise
        // (ad-hoc SQL, lookback) they stay views, so that a query's filters (a check, a
        // window of dates) reach the scans through them.
        let materialize = matches!(scope, Scope::Partitions(_) | Scope::Checks(_));
        // The week's failing rows too, when whole weeks are classified (for a few checks,
        // the view stays one so that their filter reaches the scans).
        let failing_now = matches!(scope, Scope::Partitions(_));
        // Scoped to some partitions, what each findings file observed (and which files
        // repeat a key) is read from the cells stored at ingest (see `Observed`): a few
        // hundred rows per file, which a check filter (lookback) narrows in memory.
        let observed = match scope {
            Scope::Partitions(dts) | Scope::Checks(dts) | Scope::Lookup(dts) => {
                Some(Observed::new(
                    self.location.clone(),
                    manifest.findings.clone(),
                    dts.clone(),
                    &manifest.copies,
                ))
            }
            _ => None,
        };
        if let Some(observed) = &observed {
            ctx.register_table(SCAN_CELLS, observed.scan_cells())?;
            ctx.register_table(REPEATED_KEYS, observed.repeated_keys())?;
        }
        // Weeks classified (whole, or for lookback's check): the stored changes of the
        // pairs, when every pair has current ones (see `lake_store::changes`), in place of
        // their views, registered as each view is defined so that views defined over one
        // later read it too.
        let classified =
            matches!(scope, Scope::Partitions(dts) | Scope::Checks(dts) if !dts.is_empty());
        // The views the session defines: those its statements read, but the tables above.
        let mut provided: Vec<&str> = reads.provided.iter().map(|(n, _)| *n).collect();
        provided.push(FIRST_FAILURES);
        if observed.is_some() {
            provided.extend([SCAN_CELLS, REPEATED_KEYS]);
        }
        let defined = reads
            .statements
            .as_deref()
            .map(|sql| crate::dialect::views_read(sql, &provided));
        // (none of a set's views read: nothing to check)
        let reads_any = |set: &[Stored]| {
            defined
                .as_ref()
                .is_none_or(|views| set.iter().any(|w| views.contains(w.view())))
        };
        let stored = if classified && manifest.whole {
            self.current_pairs(
                manifest,
                pairs,
                reads_any(&Stored::ALL),
                reads_any(&Stored::RISK),
            )
            .await?
        } else {
            CurrentPairs::default()
        };
        let stored_sets: [(&[Stored], &Option<Vec<_>>); 2] = [
            (&Stored::ALL, &stored.changes),
            (&Stored::RISK, &stored.risk),
        ];
        for script in [VIEWS, CHANGES, CONTEXT] {
            for statement in statements(script) {
                let defines = crate::dialect::view_of(statement).map(|(name, _)| name);
                let unread = match (defines, &defined) {
                    (Some(name), Some(views)) => !views.contains(name),
                    _ => false,
                };
                if unread || defines.is_some_and(|name| provided.contains(&name)) {
                    continue;
                }
                ctx.sql(&crate::dialect::bind_literals(statement, &risk))
                    .await?;
                let stored_view = defines.and_then(|n| {
                    stored_sets.iter().find_map(|(set, pairs)| {
                        let what = set.iter().find(|w| w.view() == n)?;
                        Some((*what, pairs.as_ref()?))
                    })
                });
                if let Some((what, pairs)) = stored_view {
                    let view = ctx.table(what.view()).await?;
                    let order = match what {
                        Stored::Changes => print_order(&ctx).await?,
                        _ => Vec::new(),
                    };
                    let rows =
                        StoredRows::new(self.location.clone(), what, pairs.clone(), &view, order);
                    ctx.deregister_table(what.view())?;
                    ctx.register_table(what.view(), Arc::new(rows))?;
                } else if let Some(name) =
                    defines.filter(|n| materialize && MATERIALIZED.contains(n))
                {
                    let plan = ctx.table(name).await?;
                    ctx.deregister_table(name)?;
                    ctx.register_table(name, Arc::new(Materialized::new(name, plan)))?;
                } else if let Some(name) = defines.filter(|n| failing_now && *n == FAILING_NOW) {
                    let plan = ctx.table(name).await?;
                    ctx.deregister_table(name)?;
                    ctx.register_table(name, Arc::new(Materialized::by_columns(name, plan)))?;
                }
            }
        }
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            views = defined.as_ref().map(|v| v.len()),
            "session opened"
        );
        Ok(ctx)
    }

    /// A session for questions about the manifest alone (which weeks have data, which
    /// partitions a query reads): `scans`, `diff_pairs` holding `pairs`, and the few views
    /// those questions read ([`MANIFEST_VIEWS`]). Registering a view plans it, so this opens
    /// in a few milliseconds where a whole session takes ~70 ms on the bench lake.
    async fn manifest_context(&self, manifest: &Manifest, pairs: &Pairs) -> Result<SessionContext> {
        let ctx = self.bare_context()?;
        ctx.register_table(SCANS_TABLE, manifest.table.clone())?;
        ctx.register_table("diff_pairs", pairs_table(pairs)?)?;
        for script in [VIEWS, CHANGES] {
            for statement in statements(script) {
                if crate::dialect::view_of(statement)
                    .is_some_and(|(name, _)| MANIFEST_VIEWS.contains(&name))
                {
                    ctx.sql(statement).await?;
                }
            }
        }
        Ok(ctx)
    }

    /// The fingerprints of the stored changes, over `manifest` and the findings files.
    async fn change_inputs(&self, manifest: &Manifest) -> Result<ChangeInputs> {
        let listed = manifest.findings.get(&self.location).await?;
        Ok(ChangeInputs::new(
            &self.location,
            &[VIEWS, CHANGES],
            &manifest.scans,
            listed,
        )?)
    }

    /// Each pair of `pairs` with the fingerprint of its stored changes, if every pair has
    /// current ones (then `finding_changes`, `pair_counts` and `compliance_week` read
    /// them), and with that of its risk rows, if the session judges one pair over a
    /// history window and that pair has current ones (then `open_findings` and
    /// `finding_lifecycle` read them); else none (the views compute them). `changes`,
    /// `risk`: whether the session reads any of those views (none read: nothing checked).
    async fn current_pairs(
        &self,
        manifest: &Manifest,
        pairs: &Pairs,
        changes: bool,
        risk: bool,
    ) -> Result<CurrentPairs> {
        let risk = risk && pairs.len() == 1 && manifest.history.is_some();
        if !(changes || risk) || pairs.is_empty() || pairs.iter().any(|(_, a)| a.is_none()) {
            return Ok(CurrentPairs::default());
        }
        let started = std::time::Instant::now();
        let inputs = self.change_inputs(manifest).await?;
        let checked: Vec<(String, String, lake_store::changes::Fingerprint)> = pairs
            .iter()
            .map(|(week, against)| {
                let against = against.clone().unwrap_or_default();
                let fingerprint = inputs.fingerprint(week, &against);
                (week.clone(), against, fingerprint)
            })
            .collect();
        let with_risk: Vec<(String, String, lake_store::changes::Fingerprint)> =
            match (&manifest.history, risk) {
                (Some(history), true) => checked
                    .iter()
                    .map(|(w, a, f)| {
                        (
                            w.clone(),
                            a.clone(),
                            f.risk(risk_definitions(), &history.from),
                        )
                    })
                    .collect(),
                _ => Vec::new(),
            };
        let all_current = |whats: &'static [Stored], checked: Vec<_>| async move {
            let current = futures::future::join_all(checked.iter().map(
                |(w, a, f): &(String, String, lake_store::changes::Fingerprint)| {
                    lake_store::changes::pair_is_current(&self.location, whats, w, a, f)
                },
            ))
            .await;
            (!checked.is_empty() && !current.contains(&false)).then_some(checked)
        };
        let (changes, risk) = futures::join!(
            all_current(&Stored::ALL, if changes { checked } else { Vec::new() }),
            all_current(&Stored::RISK, with_risk)
        );
        tracing::debug!(
            pairs = pairs.len(),
            changes = changes.is_some(),
            risk = risk.is_some(),
            ms = started.elapsed().as_millis() as u64,
            "stored changes checked"
        );
        Ok(CurrentPairs { changes, risk })
    }

    /// Stores the changes of each of the `latest` weeks with data (all when `None`) against
    /// the week with data before it, where they are missing or no longer current (see
    /// [`lake_store::changes`]), and, with `history_weeks`, the risk rows of each such
    /// pair (its open failures and their lifecycle over that many weeks with data up to the
    /// week). What `lake ingest` (the newest week), `lake compact` (every week) and the
    /// Lambda call; queries only read them.
    pub async fn store_changes(
        &self,
        latest: Option<usize>,
        history_weeks: Option<u32>,
    ) -> Result<ChangesStored> {
        let manifest = self.manifest(None).await?;
        // A lake of one week (a first ingest) has no pair: nothing to compute, and no query
        // session to open (planning one maps ~30 MB of code that the ingest never touches).
        if manifest.scan_weeks().len() < 2 {
            return Ok(ChangesStored::default());
        }
        let weeks = self.weeks_in(&manifest).await?;
        let inputs = self.change_inputs(&manifest).await?;
        let first = latest.map_or(1, |n| weeks.len().saturating_sub(n).max(1));
        let mut done = ChangesStored::default();
        for i in first..weeks.len() {
            let (week, against) = (&weeks[i], &weeks[i - 1]);
            let fingerprint = inputs.fingerprint(week, against);
            let pairs = vec![(week.clone(), Some(against.clone()))];
            // A manifest that cannot use stored rows, so that the views compute them.
            let computing = Manifest {
                whole: false,
                ..manifest.clone()
            };
            if lake_store::changes::pair_is_stored(
                &self.location,
                &Stored::ALL,
                week,
                against,
                &fingerprint,
            )
            .await
            {
                done.current += 1;
            } else {
                let scope = Scope::Partitions(self.partitions_of_pairs(&manifest, &pairs).await?);
                let reads = Reads::statements(Stored::ALL.iter().map(|w| w.view()));
                let ctx = self.context(&computing, &pairs, &scope, reads).await?;
                for what in Stored::ALL {
                    let mut frame = ctx.table(what.view()).await?;
                    match what {
                        // The compliance counts of the pair's week alone (the session holds
                        // the state of the week it is compared with too).
                        Stored::Compliance => {
                            frame = frame.filter(col("week").eq(lit(week.clone())))?;
                        }
                        // In the order `diff` prints them, which reading them then declares.
                        Stored::Changes => frame = frame.sort(print_order(&ctx).await?)?,
                        _ => {}
                    }
                    self.store_frame(frame, what, week, against, &fingerprint)
                        .await?;
                }
                done.written.push((week.clone(), against.clone()));
            }
            let Some(history_weeks) = history_weeks else {
                continue;
            };
            let computing = self.with_history(&computing, week, history_weeks).await?;
            let Some(history) = &computing.history else {
                continue;
            };
            let risk = fingerprint.risk(risk_definitions(), &history.from);
            if lake_store::changes::pair_is_stored(
                &self.location,
                &Stored::RISK,
                week,
                against,
                &risk,
            )
            .await
            {
                continue;
            }
            let scope = Scope::Partitions(self.partitions_of_pairs(&computing, &pairs).await?);
            let reads = Reads::statements(Stored::RISK.iter().map(|w| w.view()));
            let ctx = self.context(&computing, &pairs, &scope, reads).await?;
            for what in Stored::RISK {
                let frame = ctx.table(what.view()).await?;
                self.store_frame(frame, what, week, against, &risk).await?;
            }
            done.risk_written.push((week.clone(), against.clone()));
        }
        Ok(done)
    }

    /// Stores the rows of `frame` as `what` of the pair, under `fingerprint`.
    async fn store_frame(
        &self,
        frame: DataFrame,
        what: Stored,
        week: &str,
        against: &str,
        fingerprint: &lake_store::changes::Fingerprint,
    ) -> Result<()> {
        let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
        let batches = frame.collect().await?;
        lake_store::changes::write(
            &self.location,
            what,
            week,
            against,
            fingerprint,
            &schema,
            &batches,
        )
        .await?;
        Ok(())
    }

    /// The partitions a query over `pairs` reads: those of the landed scans of every week
    /// named in `pairs`, and of the earlier scans a pair's baseline is carried from (an
    /// account not completely scanned in `against`, see `carried_baselines`; a region its
    /// scans did not see, see `carried_regions`).
    pub(crate) async fn partitions_of_pairs(
        &self,
        manifest: &Manifest,
        pairs: &Pairs,
    ) -> Result<Vec<String>> {
        let ctx = self.manifest_context(manifest, pairs).await?;
        let batches = ctx
            .sql(
                "SELECT s.dt FROM landed_scans s \
                 WHERE s.week IN (SELECT week FROM diff_pairs) \
                    OR s.week IN (SELECT against FROM diff_pairs) \
                 UNION \
                 SELECT s.dt FROM landed_scans s \
                 JOIN carried_baselines c ON s.week = c.base_week AND s.account_uid = c.scan_account \
                 UNION \
                 SELECT s.dt FROM landed_scans s \
                 JOIN carried_regions c ON s.week = c.base_week AND s.account_uid = c.scan_account \
                 ORDER BY 1",
            )
            .await?
            .collect()
            .await?;
        Ok(strings(&batches, 0))
    }

    /// `manifest` with the history window of the risk views set: the `weeks` latest weeks
    /// with data up to `week` (see [`History`]).
    pub(crate) async fn with_history(
        &self,
        manifest: &Manifest,
        week: &str,
        weeks: u32,
    ) -> Result<Manifest> {
        let all = self.weeks_in(manifest).await?;
        let upto: Vec<&String> = all.iter().filter(|w| w.as_str() <= week).collect();
        let from = upto
            .len()
            .checked_sub(weeks as usize)
            .map_or_else(
                || upto.first().map(|w| w.to_string()),
                |i| Some(upto[i].clone()),
            )
            .unwrap_or_else(|| week.to_owned());
        let ctx = self.manifest_context(manifest, &Vec::new()).await?;
        let batches = ctx
            .sql(&format!(
                "SELECT DISTINCT dt FROM landed_scans WHERE week >= '{from}' AND week <= '{week}' ORDER BY dt"
            ))
            .await?
            .collect()
            .await?;
        let mut out = manifest.clone();
        out.history = Some(History {
            from,
            dts: strings(&batches, 0),
        });
        Ok(out)
    }

    /// The listing table `name` of the lake, or an empty table with its columns when the
    /// lake has none yet.
    async fn listing(&self, name: &str, schema: SchemaRef) -> Result<Arc<dyn TableProvider>> {
        if let Some(dir) = &self.location.local_dir {
            if !dir.join(name).is_dir() {
                let mut fields: Vec<Field> =
                    schema.fields().iter().map(|f| f.as_ref().clone()).collect();
                fields.push(Field::new(PARTITION_COLUMN, DataType::Utf8, false));
                let empty = MemTable::try_new(Arc::new(Schema::new(fields)), vec![vec![]])?;
                return Ok(Arc::new(empty));
            }
        }
        self.parquet_table(name, &[PARTITION_COLUMN], schema)
    }

    /// The Hive-partitioned Parquet files under `dir` of the lake, with `schema` and the
    /// string partition columns `partitions`.
    fn parquet_table(
        &self,
        dir: &str,
        partitions: &[&str],
        schema: SchemaRef,
    ) -> Result<Arc<dyn TableProvider>> {
        let url = format!("{}/{dir}/", self.location.url);
        let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
            .with_file_extension(".parquet")
            .with_table_partition_cols(
                partitions
                    .iter()
                    .map(|p| ((*p).to_owned(), DataType::Utf8))
                    .collect(),
            );
        let config = ListingTableConfig::new(ListingTableUrl::parse(&url)?)
            .with_listing_options(options)
            .with_schema(schema);
        Ok(Arc::new(ListingTable::try_new(config)?))
    }

    /// `plain` (the findings listing table) with the partitions that have a compacted copy
    /// read from it; `scope`: the partitions it will be read through (`None`: all).
    fn with_copies(
        &self,
        plain: Arc<dyn TableProvider>,
        copies: &[(String, String)],
        scope: Option<&[String]>,
    ) -> Result<Arc<dyn TableProvider>> {
        let copies: Vec<(String, String)> = copies
            .iter()
            .filter(|(dt, _)| scope.is_none_or(|dts| dts.contains(dt)))
            .cloned()
            .collect();
        if copies.is_empty() {
            return Ok(plain);
        }
        let plain_needed =
            scope.is_none_or(|dts| dts.iter().any(|d| !copies.iter().any(|(c, _)| c == d)));
        Ok(Arc::new(WithCopies::new(
            plain,
            self.copies_listing()?,
            &copies,
            plain_needed,
        )))
    }

    /// The compacted copies (see [`lake_store::compact`]) as a listing table partitioned by
    /// `dt` then `cover`.
    fn copies_listing(&self) -> Result<Arc<dyn TableProvider>> {
        self.parquet_table(
            COMPACT_ROOT,
            &[PARTITION_COLUMN, COVER_COLUMN],
            findings_schema(),
        )
    }

    /// The partitions of the landed scans dated `from` to `to` (inclusive), and the latest
    /// week among them.
    async fn window(
        &self,
        manifest: &Manifest,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<(Vec<String>, Option<String>)> {
        let ctx = self.manifest_context(manifest, &Vec::new()).await?;
        let batches = ctx
            .sql("SELECT DISTINCT dt, week FROM landed_scans WHERE dt >= $from AND dt <= $to ORDER BY week, dt")
            .await?
            .with_param_values(vec![
                ("from", ScalarValue::Utf8(Some(from.to_string()))),
                ("to", ScalarValue::Utf8(Some(to.to_string()))),
            ])?
            .collect()
            .await?;
        let mut dts = strings(&batches, 0);
        let latest = strings(&batches, 1).pop();
        dts.sort_unstable();
        dts.dedup();
        Ok((dts, latest))
    }

    /// Runs ad-hoc SQL over `findings`, `scans` and the views.
    pub async fn sql(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        let rows = self.sql_stream(sql).await?;
        Ok(datafusion::physical_plan::common::collect(rows).await?)
    }

    /// [`Lake::sql`], its rows as a stream.
    pub async fn sql_stream(&self, sql: &str) -> Result<crate::RowStream> {
        self.sql_stream_for(sql, &Params::default()).await
    }

    /// [`Self::sql_stream`], with the views of changes.sql (`finding_changes`,
    /// `pair_counts`, ...) classifying `params.week` against `params.against` (default: the
    /// latest earlier week with data), as `diff` does, when the SQL reads them and a week is
    /// given; without a week they hold no rows.
    pub async fn sql_stream_for(&self, sql: &str, params: &Params) -> Result<crate::RowStream> {
        let manifest = self.manifest(None).await?;
        let mut pairs: Pairs = Vec::new();
        if params.week.is_some() && crate::dialect::reads_changes(sql) {
            pairs.push(self.pair(&manifest, params).await?);
        }
        // A question about the catalog sees every view; any other SQL, those it reads.
        let lower = sql.to_ascii_lowercase();
        let catalog =
            lower.contains("information_schema") || lower.trim_start().starts_with("show");
        let reads = if catalog {
            Reads::anything()
        } else {
            Reads::statements([sql])
        };
        let ctx = self.context(&manifest, &pairs, &Scope::All, reads).await?;
        Ok(ctx.sql(sql).await?.execute_stream().await?)
    }

    /// The ISO weeks with at least one scan that landed, oldest first.
    pub async fn weeks(&self) -> Result<Vec<String>> {
        self.weeks_in(&self.manifest(None).await?).await
    }

    pub(crate) async fn weeks_in(&self, manifest: &Manifest) -> Result<Vec<String>> {
        let ctx = self.manifest_context(manifest, &Vec::new()).await?;
        let batches = ctx
            .sql("SELECT DISTINCT week FROM landed_scans ORDER BY week")
            .await?
            .collect()
            .await?;
        Ok(strings(&batches, 0))
    }

    /// Checks that `week` has data; returns the latest earlier week that has, if any.
    pub async fn week_and_previous(&self, week: IsoWeek) -> Result<Option<String>> {
        let weeks = self.weeks().await?;
        previous_of(&weeks, week)
    }

    /// The week to compare `week` with: `--against` (which must have data) or the latest
    /// earlier week with data.
    pub(crate) async fn pair(
        &self,
        manifest: &Manifest,
        params: &Params,
    ) -> Result<(String, Option<String>)> {
        let weeks = self.weeks_in(manifest).await?;
        let week = params.week()?;
        let previous = previous_of(&weeks, week)?;
        let against = match params.against()? {
            Some(a) => {
                previous_of(&weeks, a)?;
                Some(a.to_string())
            }
            None => previous,
        };
        Ok((week.to_string(), against))
    }

    /// Runs the named query `name` with `params`.
    pub async fn run(&self, name: &str, params: &Params) -> Result<Vec<RecordBatch>> {
        Ok(self.prepare(name, params).await?.collect().await?)
    }

    /// Runs the named query `name` with `params`, its rows as a stream: batch by batch as
    /// the plan yields them (a year-long diff is hundreds of thousands of rows).
    pub async fn stream(&self, name: &str, params: &Params) -> Result<crate::RowStream> {
        Ok(self.prepare(name, params).await?.execute_stream().await?)
    }

    /// Runs the named query `name` with `params` and returns, instead of its rows, the
    /// physical plan annotated with what each operator did (rows, time, bytes read, files
    /// and pages pruned): DataFusion's `EXPLAIN ANALYZE`.
    pub async fn explain(&self, name: &str, params: &Params) -> Result<Vec<RecordBatch>> {
        let frame = self.prepare(name, params).await?;
        Ok(frame.explain(false, true)?.collect().await?)
    }

    /// The named query `name` with `params` bound, planned over a session scoped to the
    /// partitions it reads.
    async fn prepare(&self, name: &str, params: &Params) -> Result<DataFrame> {
        let query = named(name)?;
        query.check_dimensions(params)?;
        let mut manifest = self.manifest(params.source.as_deref()).await?;
        let mut pairs: Pairs = Vec::new();
        let mut values: Vec<(&str, ScalarValue)> = Vec::new();
        let mut scope = Scope::All;
        // lookback: `finding_changes` computed apart (see below).
        let mut lookup_changes: Option<Materialized> = None;
        match name {
            "diff" | "posture" | "summary" => {
                let (week, against) = self.pair(&manifest, params).await?;
                values.push(("week", ScalarValue::Utf8(Some(week.clone()))));
                values.push(("against", ScalarValue::Utf8(against.clone())));
                pairs.push((week, against));
                scope = Scope::Partitions(self.partitions_of_pairs(&manifest, &pairs).await?);
                if name == "summary" {
                    values.push((
                        "sample",
                        ScalarValue::Int64(Some(i64::from(params.sample()?))),
                    ));
                }
            }
            "priorities" | "owners" | "landing-zones" => {
                let (week, against) = self.pair(&manifest, params).await?;
                manifest = self
                    .with_history(&manifest, &week, params.history_weeks()?)
                    .await?;
                values.push(("week", ScalarValue::Utf8(Some(week.clone()))));
                values.push(("against", ScalarValue::Utf8(against.clone())));
                pairs.push((week, against));
                scope = Scope::Partitions(self.partitions_of_pairs(&manifest, &pairs).await?);
                let risk = risk_values(params)?;
                // (landing-zones names `$environment`)
                values.extend(risk.iter().cloned());
                manifest.risk = Some(risk);
                values.push((
                    "limit",
                    ScalarValue::Int64(Some(i64::from(params.limit()?))),
                ));
            }
            "compliance" => {
                let week = params.week()?;
                let against = previous_of(&self.weeks_in(&manifest).await?, week)?;
                let week = week.to_string();
                scope = Scope::Partitions(
                    self.partitions_of_pairs(&manifest, &vec![(week.clone(), None)])
                        .await?,
                );
                // The week's pair, so that its stored compliance counts, when current, are
                // read instead of counting the week's findings (the session reads the
                // week's partitions alone: no view of the pair is computed).
                pairs.push((week.clone(), against));
                values.push(("week", ScalarValue::Utf8(Some(week))));
                values.push((
                    "framework",
                    ScalarValue::Utf8(Some(params.framework.clone().unwrap_or_default())),
                ));
            }
            "lookback" => {
                let to = params.as_of.unwrap_or_else(|| Utc::now().date_naive());
                let from = window_start(to, params.days()?);
                values.push(("check", ScalarValue::Utf8(Some(params.check()?.to_owned()))));
                values.push(("from", ScalarValue::Utf8(Some(from.to_string()))));
                values.push(("to", ScalarValue::Utf8(Some(to.to_string()))));
                // "Failing now" is what `diff` says of the latest week with data in the window.
                let (dts, latest) = self.window(&manifest, from, to).await?;
                if dts.is_empty() {
                    // Nothing scanned in the window: "it did not fail" would be a guess.
                    let weeks = self.weeks_in(&manifest).await?;
                    let held = match (weeks.first(), weeks.last()) {
                        (Some(a), Some(b)) => format!("the lake's weeks with data: {a} to {b}"),
                        _ => "the lake has no scans yet".to_owned(),
                    };
                    return Err(QueryError::InvalidParam {
                        param: "as-of",
                        reason: format!(
                            "no scan landed in the window {from} to {to} ({held}): give \
                             --as-of or --days to reach them"
                        ),
                    });
                }
                if let Some(week) = latest {
                    let weeks = self.weeks_in(&manifest).await?;
                    let against = weeks.iter().rfind(|w| **w < week).cloned();
                    pairs.push((week, against));
                }
                let pair_dts = self.partitions_of_pairs(&manifest, &pairs).await?;
                // The verdicts for the check, classified in a session of the pair's weeks
                // alone (where the week's observations are computed once): in the
                // window's session the views stay views, and the evidence `finding_changes`
                // weighs (services, regions, checks of the whole week) would be computed
                // over every week of the window, once per reference.
                let pair_ctx = self
                    .context(
                        &manifest,
                        &pairs,
                        &Scope::Checks(pair_dts.clone()),
                        Reads::statements(["finding_changes"]),
                    )
                    .await?;
                let verdicts = pair_ctx
                    .table("finding_changes")
                    .await?
                    .filter(col("check_id").eq(lit(params.check()?.to_owned())))?;
                // (with the columns lookback reads: the stored changes are ordered for
                // diff, not by check, and their text is not read)
                lookup_changes = Some(Materialized::by_columns("lookback_verdicts", verdicts));
                let mut dts = dts;
                dts.extend(pair_dts);
                dts.sort_unstable();
                dts.dedup();
                scope = Scope::Lookup(dts);
            }
            "trend" => {
                let weeks = self.weeks_in(&manifest).await?;
                let n = params.weeks()? as usize;
                let first = weeks.len().saturating_sub(n);
                for (i, week) in weeks.iter().enumerate().skip(first) {
                    let against = i.checked_sub(1).map(|j| weeks[j].clone());
                    pairs.push((week.clone(), against));
                }
                scope = Scope::Partitions(self.partitions_of_pairs(&manifest, &pairs).await?);
            }
            _ => {}
        }
        let mut reads = Reads::statements([query.sql]);
        if let Some(changes) = lookup_changes {
            // The check's rows of the view, as the pair's session computes them.
            reads = reads.with("finding_changes", Arc::new(changes));
        }
        let ctx = self.context(&manifest, &pairs, &scope, reads).await?;
        if let (true, Some(framework)) = (name == "compliance", &params.framework) {
            // A framework the week does not hold would answer "no failing requirements",
            // which reads as compliant: name the ones it holds instead.
            let week = params.week()?.to_string();
            // (computed rather than stored: computed once, for the check and the query)
            if !ctx
                .table_provider("compliance_week")
                .await?
                .is::<StoredRows>()
            {
                let plan = ctx.table("compliance_week").await?;
                ctx.deregister_table("compliance_week")?;
                ctx.register_table(
                    "compliance_week",
                    Arc::new(Materialized::new("compliance_week", plan)),
                )?;
            }
            let held = ctx
                .sql("SELECT DISTINCT framework FROM compliance_week WHERE week = $week ORDER BY 1")
                .await?
                .with_param_values(vec![("week", ScalarValue::Utf8(Some(week.clone())))])?
                .collect()
                .await?;
            let held = strings(&held, 0);
            if !held.contains(framework) {
                let close: Vec<&String> = held
                    .iter()
                    .filter(|f| f.eq_ignore_ascii_case(framework))
                    .collect();
                let reason = match close.first() {
                    Some(f) => {
                        format!("{framework} is not a framework of {week}; did you mean {f}?")
                    }
                    None if held.is_empty() => {
                        format!("{week}'s findings map to no compliance framework")
                    }
                    None => format!(
                        "{framework} is not a framework of {week} (its findings map to: {})",
                        held.join(", ")
                    ),
                };
                return Err(QueryError::InvalidParam {
                    param: "framework",
                    reason,
                });
            }
        }
        let mut frame = ctx.sql(query.sql).await?;
        // Each query binds the parameters it names.
        values.retain(|(name, _)| query.sql.contains(&format!("${name}")));
        if !values.is_empty() {
            frame = frame.with_param_values(values)?;
        }
        Ok(frame)
    }
}

/// The order `diff` prints the changes in: its `ORDER BY`, over the columns of
/// `finding_changes` (unqualified). The stored changes are written in it, and reading them
/// declares it, so that `diff` over them sorts nothing.
async fn print_order(ctx: &SessionContext) -> Result<Vec<SortExpr>> {
    let plan = ctx.state().create_logical_plan(named("diff")?.sql).await?;
    let mut order = Vec::new();
    plan.apply(|node| {
        if let LogicalPlan::Sort(sort) = node {
            order.clone_from(&sort.expr);
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(order
        .into_iter()
        .map(|s| {
            let expr = unnormalize_col(s.expr.clone());
            s.with_expr(expr)
        })
        .collect())
}

/// The `scans` table of a lake, read once.
#[derive(Debug, Clone)]
pub(crate) struct Manifest {
    table: Arc<MemTable>,
    /// The rows of `table` (what the stored changes' fingerprint digests).
    scans: Vec<RecordBatch>,
    /// Whether every producer's scans are in it (no `--source`): only then are stored
    /// changes (computed over every producer) the lake's.
    whole: bool,
    /// The partitions read from their compacted copies: (dt, cover).
    copies: Vec<(String, String)>,
    /// The findings files of the lake, listed when first needed.
    findings: FindingsFiles,
    /// The context tables: versions, accounts, rules (committed versions only).
    context: Vec<Arc<MemTable>>,
    /// Whether a context version was ever set (then every week is judged by one).
    pub(crate) context_set: bool,
    /// The weeks of history the risk views read (`window_findings`, `history_window`):
    /// none set, every partition.
    history: Option<History>,
    /// The thresholds and `--where` dimensions of the risk queries, by parameter name
    /// ([`risk_values`]): none set, the defaults (everything kept).
    risk: Option<Vec<(&'static str, ScalarValue)>>,
}

impl Manifest {
    /// The weeks named by any of its rows (landed or not): at least the weeks with data.
    fn scan_weeks(&self) -> std::collections::BTreeSet<&str> {
        self.scans
            .iter()
            .filter_map(|b| b.column_by_name("week")?.as_string_opt::<i32>())
            .flat_map(|weeks| weeks.iter().flatten())
            .collect()
    }
}

/// The history a finding's lifecycle is read from: the weeks from `from` up to the week
/// judged, in the partitions `dts`.
#[derive(Debug, Clone)]
pub(crate) struct History {
    from: String,
    dts: Vec<String>,
}

/// Which partitions of `findings` a query reads.
#[derive(Debug, Clone)]
pub(crate) enum Scope {
    /// All of them.
    All,
    /// Only these `dt` values, the weeks' states read whole (the views they share are
    /// computed once, see [`Materialized`]).
    Partitions(Vec<String>),
    /// Only these `dt` values, their weeks classified for a few checks: as `Partitions`,
    /// but the week's failing findings stay a view, so that a filter on the checks reaches
    /// the scans.
    Checks(Vec<String>),
    /// Only these `dt` values, looked up through filters (a check): the views stay views so
    /// that the filters reach the scans.
    Lookup(Vec<String>),
}

/// What a session will run (see [`Lake::context`]). Registering a view plans it, and a
/// view over others plans them all again, so defining every view of the scripts takes
/// ~0.6 s when none is materialized (ad-hoc SQL, lookback's window); a session defines only
/// the views its statements read.
#[derive(Default)]
pub(crate) struct Reads<'a> {
    /// The statements the session runs; none: any SQL (every view is defined).
    statements: Option<Vec<&'a str>>,
    /// Tables registered under the names of views, in their place.
    provided: Vec<(&'static str, Arc<dyn TableProvider>)>,
}

impl<'a> Reads<'a> {
    /// Any SQL: every view is defined.
    pub(crate) fn anything() -> Self {
        Reads::default()
    }

    /// `statements` (named queries' SQL, or a table's name), and the views they read.
    pub(crate) fn statements(statements: impl IntoIterator<Item = &'a str>) -> Self {
        Reads {
            statements: Some(statements.into_iter().collect()),
            provided: Vec::new(),
        }
    }

    /// With `table` read as `name` instead of the view of that name.
    pub(crate) fn with(mut self, name: &'static str, table: Arc<dyn TableProvider>) -> Self {
        self.provided.push((name, table));
        self
    }
}

/// The thresholds and `--where` dimensions of the risk queries (`priorities`, `owners`,
/// `landing-zones`), by the name of the parameter the views and queries give them ('' or
/// 0 when not given: everything kept).
pub(crate) fn risk_values(params: &Params) -> Result<Vec<(&'static str, ScalarValue)>> {
    let int = |v: u32| ScalarValue::Int64(Some(i64::from(v)));
    let mut out = vec![
        ("min_risk", int(params.min_risk()?)),
        ("min_age", int(params.min_age.unwrap_or(0))),
        (
            "min_severity",
            ScalarValue::Int64(Some(i64::from(params.min_severity.unwrap_or(0)))),
        ),
    ];
    // (`--where framework=...` among them: `--framework` is compliance's)
    for dimension in crate::named::DIMENSIONS {
        out.push((dimension, ScalarValue::Utf8(Some(params.filter(dimension)))));
    }
    Ok(out)
}

/// The rows of a `scans` batch whose producer is `source` (null: Prowler's).
fn of_source(batch: &RecordBatch, source: &str) -> Result<RecordBatch> {
    let products = batch
        .column_by_name("source_product")
        .and_then(|c| c.as_string_opt::<i32>().cloned());
    let keep: BooleanArray = (0..batch.num_rows())
        .map(|r| {
            let product = products
                .as_ref()
                .filter(|p| p.is_valid(r))
                .map_or(lake_core::source::PROWLER, |p| p.value(r));
            Some(product == source)
        })
        .collect();
    Ok(arrow::compute::filter_record_batch(batch, &keep)?)
}

/// Checks that `week` is among `weeks`; returns the latest earlier one, if any.
fn previous_of(weeks: &[String], week: IsoWeek) -> Result<Option<String>> {
    let week = week.to_string();
    if !weeks.contains(&week) {
        return Err(QueryError::NoData {
            week,
            available: weeks.to_vec(),
        });
    }
    Ok(weeks.iter().rfind(|w| **w < week).cloned())
}

/// The first day of a window of `days` days ending on `to` (inclusive).
pub(crate) fn window_start(to: NaiveDate, days: u32) -> NaiveDate {
    to.checked_sub_days(Days::new(u64::from(days.saturating_sub(1))))
        .unwrap_or(NaiveDate::MIN)
}

/// The statements of a SQL script: split at the `;` tokens SQL's tokenizer finds (never in
/// a string, a quoted name or a comment), each trimmed with its leading comments kept, and
/// those of comments only left out.
pub(crate) fn statements(script: &str) -> Vec<&str> {
    use datafusion::sql::sqlparser::dialect::GenericDialect;
    use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

    let has_code = |s: &&str| {
        s.lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"))
    };
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, script).tokenize_with_location() else {
        // Not SQL the tokenizer reads: one statement, whose parse error then says where.
        return [script.trim()].into_iter().filter(has_code).collect();
    };
    // Locations are (line, column) from 1, columns counted in characters.
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(script.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let offset = |line: u64, column: u64| -> usize {
        let start = usize::try_from(line.saturating_sub(1))
            .ok()
            .and_then(|l| line_starts.get(l).copied())
            .unwrap_or(script.len());
        let column = usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX);
        script[start..]
            .char_indices()
            .nth(column)
            .map_or(script.len(), |(i, _)| start + i)
    };
    let mut out = Vec::new();
    let mut from = 0;
    for t in tokens.iter().filter(|t| t.token == Token::SemiColon) {
        let at = offset(t.span.start.line, t.span.start.column);
        out.push(&script[from..at]);
        from = at + 1;
    }
    out.push(&script[from..]);
    out.into_iter().map(str::trim).filter(has_code).collect()
}

/// The text values of column `i`.
pub(crate) fn strings(batches: &[RecordBatch], i: usize) -> Vec<String> {
    batches
        .iter()
        .flat_map(|b| {
            let col = b.column(i);
            (0..col.len())
                .filter_map(|r| text_at(col, r).map(str::to_owned))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risk_rows_digest_the_risk_views_they_read_and_no_other() {
        let digested = risk_definitions();
        let defines = |view: &str| digested.contains(&format!("CREATE VIEW {view} AS"));
        for read in [
            "open_findings",
            "finding_lifecycle",
            "finding_history_stats",
            "finding_exceptions",
            "finding_reports",
            "finding_timeline",
            "history_rows",
        ] {
            assert!(defines(read), "{read} is read by the stored risk rows");
        }
        for unread in [
            "finding_risk",
            "finding_age",
            "rule_hits",
            "account_defaults",
        ] {
            assert!(
                !defines(unread),
                "{unread} is not read by the stored risk rows"
            );
        }
    }

    #[test]
    fn windows_are_inclusive() {
        let to = NaiveDate::from_ymd_opt(2026, 5, 18).unwrap();
        assert_eq!(window_start(to, 1), to);
        assert_eq!(
            window_start(to, 90),
            NaiveDate::from_ymd_opt(2026, 2, 18).unwrap()
        );
    }

    #[test]
    fn scripts_split_into_statements() {
        let s = statements("-- a\nCREATE VIEW a AS SELECT 1;\n-- only a comment\n;\nSELECT 2;\n");
        assert_eq!(s, ["-- a\nCREATE VIEW a AS SELECT 1", "SELECT 2"]);
    }

    #[test]
    fn a_semicolon_in_a_string_a_name_or_a_comment_ends_no_statement() {
        let s = statements(
            "SELECT ';\n' AS \"a;\nb\" -- c;\n, 2 /* d;\n */; SELECT 'é', 3;SELECT $week",
        );
        assert_eq!(
            s,
            [
                "SELECT ';\n' AS \"a;\nb\" -- c;\n, 2 /* d;\n */",
                "SELECT 'é', 3",
                "SELECT $week"
            ]
        );
    }

    #[test]
    fn every_script_of_the_queries_tokenizes() {
        for script in [VIEWS, CHANGES, CONTEXT] {
            let split = statements(script);
            assert!(split.len() > 3);
            // Nothing lost: the statements are the script's text, in order.
            let mut rest = script;
            for s in &split {
                let at = rest.find(s).expect("a statement is a slice of its script");
                rest = &rest[at + s.len()..];
            }
        }
    }
}
