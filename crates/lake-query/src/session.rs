//! The DataFusion session over a lake.

use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use chrono::{Days, NaiveDate, Utc};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::scalar::ScalarValue;
use lake_core::schema::{findings_schema, scans_schema, PARTITION_COLUMN};
use lake_core::IsoWeek;
use lake_store::layout::{FINDINGS_TABLE, SCANS_TABLE};
use lake_store::Location;

use crate::error::{QueryError, Result};
use crate::named::{named, Params};

const VIEWS: &str = include_str!("../../../queries/views.sql");
const CHANGES: &str = include_str!("../../../queries/changes.sql");

/// A lake opened for queries.
#[derive(Debug, Clone)]
pub struct Lake {
    location: Location,
}

/// The pairs of (week, against) that `finding_changes` classifies.
pub(crate) type Pairs = Vec<(String, Option<String>)>;

impl Lake {
    /// Opens the lake at `location` for reading. Nothing is read until a query runs.
    pub fn from_location(location: Location) -> Self {
        Lake { location }
    }

    /// The lake's location.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// A session with the tables, the views, and `diff_pairs` holding `pairs`.
    pub(crate) async fn context(&self, pairs: &Pairs) -> Result<SessionContext> {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let config = SessionConfig::new()
            .with_target_partitions(threads)
            .with_information_schema(true);
        let ctx = SessionContext::new_with_config(config);
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
        for (name, schema) in [
            (FINDINGS_TABLE, findings_schema()),
            (SCANS_TABLE, scans_schema()),
        ] {
            self.register_table(&ctx, name, schema).await?;
        }
        let pair_schema = Arc::new(Schema::new(vec![
            Field::new("week", DataType::Utf8, false),
            Field::new("against", DataType::Utf8, true),
        ]));
        let weeks: StringArray = pairs.iter().map(|(w, _)| Some(w.as_str())).collect();
        let against: StringArray = pairs.iter().map(|(_, a)| a.as_deref()).collect();
        let batch = RecordBatch::try_new(
            pair_schema.clone(),
            vec![Arc::new(weeks), Arc::new(against)],
        )?;
        ctx.register_table(
            "diff_pairs",
            Arc::new(MemTable::try_new(pair_schema, vec![vec![batch]])?),
        )?;
        for script in [VIEWS, CHANGES] {
            for statement in statements(script) {
                ctx.sql(statement).await?;
            }
        }
        Ok(ctx)
    }

    async fn register_table(
        &self,
        ctx: &SessionContext,
        name: &str,
        schema: SchemaRef,
    ) -> Result<()> {
        let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
        fields.push(Field::new(PARTITION_COLUMN, DataType::Utf8, false));
        if let Some(dir) = &self.location.local_dir {
            if !dir.join(name).is_dir() {
                // A lake without this table yet: an empty one with the same columns.
                let empty = MemTable::try_new(Arc::new(Schema::new(fields)), vec![vec![]])?;
                ctx.register_table(name, Arc::new(empty))?;
                return Ok(());
            }
        }
        let url = format!("{}/{name}/", self.location.url);
        let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
            .with_file_extension(".parquet")
            .with_table_partition_cols(vec![(PARTITION_COLUMN.to_owned(), DataType::Utf8)]);
        let config = ListingTableConfig::new(ListingTableUrl::parse(&url)?)
            .with_listing_options(options)
            .with_schema(schema);
        ctx.register_table(name, Arc::new(ListingTable::try_new(config)?))?;
        Ok(())
    }

    /// Runs ad-hoc SQL over `findings`, `scans` and the views.
    pub async fn sql(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        let ctx = self.context(&Vec::new()).await?;
        Ok(ctx.sql(sql).await?.collect().await?)
    }

    /// The ISO weeks with at least one scan that landed, oldest first.
    pub async fn weeks(&self) -> Result<Vec<String>> {
        let batches = self
            .sql("SELECT DISTINCT week FROM latest_scans ORDER BY week")
            .await?;
        Ok(strings(&batches, 0))
    }

    /// Checks that `week` has data; returns the latest earlier week that has, if any.
    pub async fn week_and_previous(&self, week: IsoWeek) -> Result<Option<String>> {
        let weeks = self.weeks().await?;
        let week = week.to_string();
        if !weeks.contains(&week) {
            return Err(QueryError::NoData {
                week,
                available: weeks,
            });
        }
        Ok(weeks.into_iter().rfind(|w| *w < week))
    }

    /// The week to compare `week` with: `--against` (which must have data) or the latest
    /// earlier week with data.
    pub(crate) async fn pair(&self, params: &Params) -> Result<(String, Option<String>)> {
        let week = params.week()?;
        let previous = self.week_and_previous(week).await?;
        let against = match params.against {
            Some(a) => {
                self.week_and_previous(a).await?;
                Some(a.to_string())
            }
            None => previous,
        };
        Ok((week.to_string(), against))
    }

    /// Runs the named query `name` with `params`.
    pub async fn run(&self, name: &str, params: &Params) -> Result<Vec<RecordBatch>> {
        let query = named(name)?;
        let mut pairs: Pairs = Vec::new();
        let mut values: Vec<(&str, ScalarValue)> = Vec::new();
        match name {
            "diff" | "posture" | "summary" => {
                let (week, against) = self.pair(params).await?;
                values.push(("week", ScalarValue::Utf8(Some(week.clone()))));
                values.push(("against", ScalarValue::Utf8(against.clone())));
                pairs.push((week, against));
                if name == "summary" {
                    values.push((
                        "sample",
                        ScalarValue::Int64(Some(i64::from(params.sample()?))),
                    ));
                }
            }
            "compliance" => {
                let week = params.week()?;
                self.week_and_previous(week).await?;
                values.push(("week", ScalarValue::Utf8(Some(week.to_string()))));
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
            }
            "trend" => {
                let weeks = self.weeks().await?;
                let n = params.weeks()? as usize;
                let first = weeks.len().saturating_sub(n);
                for (i, week) in weeks.iter().enumerate().skip(first) {
                    let against = i.checked_sub(1).map(|j| weeks[j].clone());
                    pairs.push((week.clone(), against));
                }
            }
            _ => {}
        }
        let ctx = self.context(&pairs).await?;
        let mut frame = ctx.sql(query.sql).await?;
        if !values.is_empty() {
            frame = frame.with_param_values(values)?;
        }
        Ok(frame.collect().await?)
    }
}

/// The first day of a window of `days` days ending on `to` (inclusive).
fn window_start(to: NaiveDate, days: u32) -> NaiveDate {
    to.checked_sub_days(Days::new(u64::from(days.saturating_sub(1))))
        .unwrap_or(NaiveDate::MIN)
}

/// The statements of a SQL script (split at `;` ending a line; comments kept).
fn statements(script: &str) -> impl Iterator<Item = &str> {
    script.split(";\n").map(str::trim).filter(|s| {
        s.lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"))
    })
}

/// The text values of column `i`.
pub(crate) fn strings(batches: &[RecordBatch], i: usize) -> Vec<String> {
    batches
        .iter()
        .flat_map(|b| {
            let col = b.column(i).as_string::<i32>();
            (0..col.len())
                .filter(|&r| col.is_valid(r))
                .map(|r| col.value(r).to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let s: Vec<_> =
            statements("-- a\nCREATE VIEW a AS SELECT 1;\n-- only a comment\n;\nSELECT 2;\n")
                .collect();
        assert_eq!(s, ["-- a\nCREATE VIEW a AS SELECT 1", "SELECT 2"]);
    }
}
