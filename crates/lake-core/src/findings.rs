//! Normalizes raw findings into the columns of [`crate::schema::findings_schema`].

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Int32Builder, Int64Builder, ListArray, ListBuilder,
    MapBuilder, MapFieldNames, StringBuilder, StructArray, TimestampMicrosecondBuilder,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};

use crate::identity::{finding_key, scan_time_with, ScanIdentity};
use crate::ocsf::{RawFinding, Text, TextList};
use crate::schema::{self, LIST_ELEMENT, MAP_ENTRIES, MAP_KEY, MAP_VALUE};
use crate::severity::{Severity, DETECTION_FINDING_CLASS, STATUS_ID_SUPPRESSED};

/// Why an element of a source was not kept as a finding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RejectReason {
    /// A number, string, array or literal where a finding belongs.
    #[error("element is not a JSON object")]
    NotAnObject,
    /// Not valid JSON (or invalid UTF-8, or nested too deep).
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// An OCSF event of another class.
    #[error("not a Detection Finding (class_uid {0})")]
    OtherClass(i64),
    /// An object with neither `metadata` nor `finding_info`.
    #[error("not an OCSF finding (no metadata or finding_info)")]
    NotOcsf,
    /// A field every finding needs is missing or empty.
    #[error("required field `{0}` is missing or empty")]
    MissingField(&'static str),
    /// A `status_code` other than PASS, FAIL or MANUAL.
    #[error("status_code `{0}` is not PASS, FAIL or MANUAL")]
    InvalidStatus(String),
    /// Neither `time_dt` nor `time` is readable and the path gives no scan time.
    #[error("no readable `time_dt` or `time`")]
    NoTime,
    /// Larger than the element size limit.
    #[error("finding is {len} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Its size.
        len: u64,
        /// The limit.
        limit: usize,
    },
}

/// Per-source counts kept while decoding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Findings kept.
    pub findings: i64,
    /// With status PASS.
    pub pass: i64,
    /// With status FAIL.
    pub fail: i64,
    /// With status MANUAL.
    pub manual: i64,
    /// Muted.
    pub muted: i64,
    /// Distinct regions.
    pub regions: BTreeSet<String>,
    /// Distinct providers.
    pub providers: BTreeSet<String>,
}

impl Counts {
    /// Adds the counts of another part of the same source.
    pub fn absorb(&mut self, other: Counts) {
        self.findings += other.findings;
        self.pass += other.pass;
        self.fail += other.fail;
        self.manual += other.manual;
        self.muted += other.muted;
        self.regions.extend(other.regions);
        self.providers.extend(other.providers);
    }
}

/// Where a finding's raw bytes are, and what the run says about it.
#[derive(Debug, Clone, Copy)]
pub struct RowContext<'a> {
    /// The run identity (resolved from the first finding on).
    pub identity: &'a ScanIdentity,
    /// Source URI.
    pub source_uri: &'a str,
    /// Byte offset of the finding.
    pub offset: u64,
    /// Its length.
    pub len: u64,
}

/// The normalized, validated view of one finding that is appended to the builders.
struct Row<'r, 'a> {
    raw: &'r RawFinding<'a>,
    uid: &'r str,
    check: &'r str,
    provider: &'r str,
    account: &'r str,
    region: &'r str,
    resource_uid: &'r str,
    scan_time: DateTime<Utc>,
    severity: Severity,
    status: &'static str,
    muted: bool,
}

fn text<'r>(t: &'r Text<'_>) -> Option<&'r str> {
    t.non_empty()
}

/// The scan time of a finding, from whichever time fields its Prowler version wrote.
fn finding_time(raw: &RawFinding<'_>) -> Option<DateTime<Utc>> {
    let info = raw.finding_info.0.as_ref();
    scan_time_with(
        raw.time_dt.0.as_deref(),
        raw.time.0,
        &[
            raw.event_time.0.as_deref(),
            info.and_then(|i| i.created_time_dt.0.as_deref()),
            info.and_then(|i| i.created_time.0.as_deref()),
        ],
    )
}

/// The first finding's scan time, account and scan id, for identity resolution.
pub fn first_finding_facts(raw: &RawFinding<'_>) -> Option<crate::identity::FirstFinding> {
    let time = finding_time(raw)?;
    let cloud = raw.cloud.0.as_ref();
    let unmapped = raw.unmapped.0.as_ref();
    let account = cloud
        .and_then(|c| c.account.0.as_ref())
        .and_then(|a| text(&a.uid))
        .or_else(|| unmapped.and_then(|u| text(&u.provider_uid)))
        .unwrap_or_default()
        .to_owned();
    Some(crate::identity::FirstFinding {
        account,
        scan_time: time,
        scan_id: unmapped.and_then(|u| text(&u.scan_id)).map(str::to_owned),
    })
}

/// The fields every finding must have, checked before anything else is read:
/// returns the finding uid, the check id and the status code.
pub fn required<'r>(
    raw: &'r RawFinding<'_>,
) -> Result<(&'r str, &'r str, &'static str), RejectReason> {
    if let Some(class) = raw.class_uid.0 {
        if class != DETECTION_FINDING_CLASS {
            return Err(RejectReason::OtherClass(class));
        }
    }
    let (metadata, info) = match (raw.metadata.0.as_ref(), raw.finding_info.0.as_ref()) {
        (None, None) => return Err(RejectReason::NotOcsf),
        (m, i) => (m, i),
    };
    let uid = info
        .and_then(|i| text(&i.uid))
        .ok_or(RejectReason::MissingField("finding_info.uid"))?;
    let check = metadata
        .and_then(|m| text(&m.event_code))
        .ok_or(RejectReason::MissingField("metadata.event_code"))?;
    let status_raw = text(&raw.status_code).ok_or(RejectReason::MissingField("status_code"))?;
    let status = crate::severity::STATUS_CODES
        .into_iter()
        .find(|c| c.eq_ignore_ascii_case(status_raw.trim()))
        .ok_or_else(|| RejectReason::InvalidStatus(status_raw.to_owned()))?;
    Ok((uid, check, status))
}

/// Checks that `raw` is a Detection Finding with what lake needs, and normalizes it.
fn validate<'r, 'a>(
    raw: &'r RawFinding<'a>,
    identity: &'r ScanIdentity,
    times: &mut TimeCache,
) -> Result<Row<'r, 'a>, RejectReason> {
    let (uid, check, status) = required(raw)?;
    let scan_time = times.time_of(raw).unwrap_or(identity.scan_time);
    let cloud = raw.cloud.0.as_ref();
    let unmapped = raw.unmapped.0.as_ref();
    let first_resource = raw.resources.as_ref().and_then(|r| r.first());
    let provider = cloud
        .and_then(|c| text(&c.provider))
        .or_else(|| unmapped.and_then(|u| text(&u.provider)))
        .or_else(|| {
            uid.strip_prefix("prowler-")
                .and_then(|rest| rest.split_once('-'))
                .map(|(p, _)| p)
        })
        .unwrap_or("unknown");
    let account = cloud
        .and_then(|c| c.account.0.as_ref())
        .and_then(|a| text(&a.uid))
        .or_else(|| unmapped.and_then(|u| text(&u.provider_uid)))
        .unwrap_or(&identity.account);
    // Kubernetes has no region: its scope is the namespace (`cluster-wide` for cluster objects).
    let region = cloud
        .and_then(|c| text(&c.region))
        .or_else(|| first_resource.and_then(|r| text(&r.region).or_else(|| text(&r.namespace))))
        .unwrap_or("");
    let resource_uid = first_resource
        .and_then(|r| text(&r.uid).or_else(|| text(&r.name)))
        .unwrap_or("");
    let severity = text(&raw.severity)
        .and_then(Severity::from_name)
        .or_else(|| raw.severity_id.0.and_then(Severity::from_id))
        .unwrap_or(Severity::Unknown);
    let muted = raw.status_id.0 == Some(STATUS_ID_SUPPRESSED)
        || text(&raw.status).is_some_and(|s| s.eq_ignore_ascii_case("suppressed"));
    Ok(Row {
        raw,
        uid,
        check,
        provider,
        account,
        region,
        resource_uid,
        scan_time,
        severity,
        status,
        muted,
    })
}

/// The last finding's time fields and the time they gave: every finding of a Prowler scan
/// carries the same `time_dt` and `time`, so they are parsed once per file, not per finding.
#[derive(Default)]
struct TimeCache {
    key: Option<(String, Option<i64>)>,
    value: Option<DateTime<Utc>>,
}

impl TimeCache {
    fn time_of(&mut self, raw: &RawFinding<'_>) -> Option<DateTime<Utc>> {
        let time_dt = raw.time_dt.0.as_deref();
        let time = raw.time.0;
        if time_dt.is_none() && time.is_none() {
            // Only the fallbacks can tell; they are not cached.
            return finding_time(raw);
        }
        let hit = self
            .key
            .as_ref()
            .is_some_and(|(dt, t)| Some(dt.as_str()) == time_dt && *t == time);
        if !hit {
            // Only a time read from `time_dt` or `time` is theirs to cache: when neither
            // parses, the fallbacks of each finding decide (caching that under the same
            // unreadable `time_dt` gave a later finding the first one's time, which then
            // depended on where the parallel ingest cut the file; found by fuzzing).
            let Some(own) = scan_time_with(time_dt, time, &[]) else {
                return finding_time(raw);
            };
            self.value = Some(own);
            self.key = time_dt.map(|dt| (dt.to_owned(), time));
        }
        self.value
    }
}

/// Column builders for a batch of findings.
pub struct FindingsBuilder {
    finding_key: StringBuilder,
    finding_uid: StringBuilder,
    run_id: StringBuilder,
    scan_id: StringBuilder,
    scan_time: TimestampMicrosecondBuilder,
    scan_date: Date32Builder,
    week: StringBuilder,
    provider: StringBuilder,
    account_uid: StringBuilder,
    account_name: StringBuilder,
    org_uid: StringBuilder,
    org_name: StringBuilder,
    region: StringBuilder,
    check_id: StringBuilder,
    title: StringBuilder,
    description: StringBuilder,
    severity: StringBuilder,
    severity_id: Int32Builder,
    service: StringBuilder,
    categories: ListBuilder<StringBuilder>,
    check_types: ListBuilder<StringBuilder>,
    status_code: StringBuilder,
    muted: BooleanBuilder,
    status_detail: StringBuilder,
    resource_uid: StringBuilder,
    resource_name: StringBuilder,
    resource_type: StringBuilder,
    resources: ResourcesBuilder,
    compliance: MapBuilder<StringBuilder, ListBuilder<StringBuilder>>,
    risk_details: StringBuilder,
    remediation: StringBuilder,
    remediation_references: ListBuilder<StringBuilder>,
    additional_urls: ListBuilder<StringBuilder>,
    source_uri: StringBuilder,
    source_offset: Int64Builder,
    source_length: Int64Builder,
    ocsf_version: StringBuilder,
    prowler_version: StringBuilder,
    rows: usize,
    times: TimeCache,
    week_text: Option<(crate::identity::IsoWeek, String)>,
}

fn string_list_builder() -> ListBuilder<StringBuilder> {
    ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new(
        LIST_ELEMENT,
        DataType::Utf8,
        false,
    )))
}

fn map_names() -> MapFieldNames {
    MapFieldNames {
        entry: MAP_ENTRIES.into(),
        key: MAP_KEY.into(),
        value: MAP_VALUE.into(),
    }
}

fn append_list(b: &mut ListBuilder<StringBuilder>, items: &TextList<'_>) {
    for item in &items.0 {
        b.values().append_value(item);
    }
    b.append(true);
}

fn append_opt(b: &mut StringBuilder, v: Option<&str>) {
    match v {
        Some(v) => b.append_value(v),
        None => b.append_null(),
    }
}

/// Splits a Prowler label into tags: `key:value` (Prowler 5), or `k=v | k=v` (Prowler 4,
/// several tags in one label). A label without a separator is a key without a value.
fn tags(label: &str) -> impl Iterator<Item = (&str, Option<&str>)> {
    label.split(" | ").filter(|t| !t.is_empty()).map(|t| {
        let sep = if t.contains(':') { ':' } else { '=' };
        match t.split_once(sep) {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (t.trim(), None),
        }
    })
}

/// The `resources` column: a list of structs, built from one builder per struct field.
struct ResourcesBuilder {
    offsets: Vec<i32>,
    uid: StringBuilder,
    name: StringBuilder,
    kind: StringBuilder,
    region: StringBuilder,
    namespace: StringBuilder,
    service: StringBuilder,
    tags: MapBuilder<StringBuilder, StringBuilder>,
}

impl ResourcesBuilder {
    fn new() -> Self {
        ResourcesBuilder {
            offsets: vec![0],
            uid: StringBuilder::new(),
            name: StringBuilder::new(),
            kind: StringBuilder::new(),
            region: StringBuilder::new(),
            namespace: StringBuilder::new(),
            service: StringBuilder::new(),
            tags: MapBuilder::new(
                Some(map_names()),
                StringBuilder::new(),
                StringBuilder::new(),
            ),
        }
    }

    fn append(&mut self, raw: &RawFinding<'_>) -> Result<(), ArrowError> {
        let resources = raw.resources.as_deref().unwrap_or_default();
        for r in resources {
            append_opt(&mut self.uid, text(&r.uid));
            append_opt(&mut self.name, text(&r.name));
            append_opt(&mut self.kind, text(&r.kind));
            append_opt(&mut self.region, text(&r.region));
            append_opt(&mut self.namespace, text(&r.namespace));
            append_opt(
                &mut self.service,
                r.group.0.as_ref().and_then(|g| text(&g.name)),
            );
            for (k, v) in r.labels.0.iter().flat_map(|l| tags(l)) {
                self.tags.keys().append_value(k);
                append_opt(self.tags.values(), v);
            }
            self.tags.append(true)?;
        }
        let last = self.offsets.last().copied().unwrap_or(0);
        let count = i32::try_from(resources.len()).unwrap_or(i32::MAX);
        self.offsets.push(last.saturating_add(count));
        Ok(())
    }

    fn finish(&mut self) -> Result<ArrayRef, ArrowError> {
        let fields = schema::resource_fields();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.uid.finish()),
            Arc::new(self.name.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.region.finish()),
            Arc::new(self.namespace.finish()),
            Arc::new(self.service.finish()),
            Arc::new(self.tags.finish()),
        ];
        let structs = StructArray::try_new(fields.clone(), columns, None)?;
        let offsets = OffsetBuffer::new(std::mem::replace(&mut self.offsets, vec![0]).into());
        let item = Arc::new(Field::new(LIST_ELEMENT, DataType::Struct(fields), false));
        Ok(Arc::new(ListArray::try_new(
            item,
            offsets,
            Arc::new(structs),
            None,
        )?))
    }
}

impl Default for FindingsBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl FindingsBuilder {
    /// Empty builders.
    pub fn new() -> Self {
        FindingsBuilder {
            finding_key: StringBuilder::new(),
            finding_uid: StringBuilder::new(),
            run_id: StringBuilder::new(),
            scan_id: StringBuilder::new(),
            scan_time: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            scan_date: Date32Builder::new(),
            week: StringBuilder::new(),
            provider: StringBuilder::new(),
            account_uid: StringBuilder::new(),
            account_name: StringBuilder::new(),
            org_uid: StringBuilder::new(),
            org_name: StringBuilder::new(),
            region: StringBuilder::new(),
            check_id: StringBuilder::new(),
            title: StringBuilder::new(),
            description: StringBuilder::new(),
            severity: StringBuilder::new(),
            severity_id: Int32Builder::new(),
            service: StringBuilder::new(),
            categories: string_list_builder(),
            check_types: string_list_builder(),
            status_code: StringBuilder::new(),
            muted: BooleanBuilder::new(),
            status_detail: StringBuilder::new(),
            resource_uid: StringBuilder::new(),
            resource_name: StringBuilder::new(),
            resource_type: StringBuilder::new(),
            resources: ResourcesBuilder::new(),
            compliance: MapBuilder::new(
                Some(map_names()),
                StringBuilder::new(),
                string_list_builder(),
            )
            .with_values_field(Arc::new(Field::new(
                MAP_VALUE,
                schema::string_list(),
                true,
            ))),
            risk_details: StringBuilder::new(),
            remediation: StringBuilder::new(),
            remediation_references: string_list_builder(),
            additional_urls: string_list_builder(),
            source_uri: StringBuilder::new(),
            source_offset: Int64Builder::new(),
            source_length: Int64Builder::new(),
            ocsf_version: StringBuilder::new(),
            prowler_version: StringBuilder::new(),
            rows: 0,
            times: TimeCache::default(),
            week_text: None,
        }
    }

    /// Rows appended since the last [`finish`](Self::finish).
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no rows are buffered.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Validates and appends one finding, updating `counts`. On rejection nothing is appended.
    pub fn append(
        &mut self,
        raw: &RawFinding<'_>,
        ctx: RowContext<'_>,
        counts: &mut Counts,
    ) -> Result<(), RejectReason> {
        let row = validate(raw, ctx.identity, &mut self.times)?;
        self.push(&row, ctx)
            .map_err(|e| RejectReason::InvalidJson(e.to_string()))?;
        counts.findings += 1;
        match row.status {
            "PASS" => counts.pass += 1,
            "FAIL" => counts.fail += 1,
            _ => counts.manual += 1,
        }
        counts.muted += i64::from(row.muted);
        if !counts.regions.contains(row.region) {
            counts.regions.insert(row.region.to_owned());
        }
        if !counts.providers.contains(row.provider) {
            counts.providers.insert(row.provider.to_owned());
        }
        Ok(())
    }

    fn push(&mut self, row: &Row<'_, '_>, ctx: RowContext<'_>) -> Result<(), ArrowError> {
        let raw = row.raw;
        let id = ctx.identity;
        let metadata = raw.metadata.0.as_ref();
        let info = raw.finding_info.0.as_ref();
        let unmapped = raw.unmapped.0.as_ref();
        let cloud = raw.cloud.0.as_ref();
        let account = cloud.and_then(|c| c.account.0.as_ref());
        let org = cloud.and_then(|c| c.org.0.as_ref());
        let first_resource = raw.resources.as_ref().and_then(|r| r.first());
        let remediation = raw.remediation.0.as_ref();

        self.finding_key.append_value(finding_key(
            row.provider,
            row.account,
            row.region,
            row.check,
            row.resource_uid,
            row.uid,
        ));
        self.finding_uid.append_value(row.uid);
        self.run_id.append_value(&id.run_id);
        append_opt(&mut self.scan_id, unmapped.and_then(|u| text(&u.scan_id)));
        self.scan_time
            .append_value(row.scan_time.timestamp_micros());
        self.scan_date.append_value(
            (row.scan_time.date_naive()
                - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default())
            .num_days() as i32,
        );
        match &self.week_text {
            Some((week, text)) if *week == id.week => self.week.append_value(text),
            _ => {
                let text = id.week.to_string();
                self.week.append_value(&text);
                self.week_text = Some((id.week, text));
            }
        }
        self.provider.append_value(row.provider);
        self.account_uid.append_value(row.account);
        append_opt(&mut self.account_name, account.and_then(|a| text(&a.name)));
        append_opt(&mut self.org_uid, org.and_then(|o| text(&o.uid)));
        append_opt(&mut self.org_name, org.and_then(|o| text(&o.name)));
        self.region.append_value(row.region);
        self.check_id.append_value(row.check);
        append_opt(&mut self.title, info.and_then(|i| text(&i.title)));
        append_opt(&mut self.description, info.and_then(|i| text(&i.desc)));
        self.severity.append_value(row.severity.name());
        self.severity_id.append_value(row.severity.id());
        append_opt(
            &mut self.service,
            first_resource.and_then(|r| r.group.0.as_ref().and_then(|g| text(&g.name))),
        );
        append_list(
            &mut self.categories,
            unmapped
                .map(|u| &u.categories)
                .unwrap_or(&TextList::default()),
        );
        append_list(
            &mut self.check_types,
            info.map(|i| &i.types).unwrap_or(&TextList::default()),
        );
        self.status_code.append_value(row.status);
        self.muted.append_value(row.muted);
        append_opt(
            &mut self.status_detail,
            text(&raw.status_detail).or_else(|| text(&raw.message)),
        );
        self.resource_uid.append_value(row.resource_uid);
        append_opt(
            &mut self.resource_name,
            first_resource.and_then(|r| text(&r.name)),
        );
        append_opt(
            &mut self.resource_type,
            first_resource.and_then(|r| text(&r.kind)),
        );
        self.resources.append(raw)?;
        if let Some(u) = unmapped {
            for (framework, ids) in u.compliance.iter() {
                self.compliance.keys().append_value(framework);
                let list = self.compliance.values();
                for id in ids {
                    list.values().append_value(id);
                }
                list.append(true);
            }
        }
        self.compliance.append(true)?;
        append_opt(&mut self.risk_details, text(&raw.risk_details));
        append_opt(
            &mut self.remediation,
            remediation.and_then(|r| text(&r.desc)),
        );
        append_list(
            &mut self.remediation_references,
            remediation
                .map(|r| &r.references)
                .unwrap_or(&TextList::default()),
        );
        append_list(
            &mut self.additional_urls,
            unmapped
                .map(|u| &u.additional_urls)
                .unwrap_or(&TextList::default()),
        );
        self.source_uri.append_value(ctx.source_uri);
        self.source_offset.append_value(ctx.offset as i64);
        self.source_length.append_value(ctx.len as i64);
        append_opt(
            &mut self.ocsf_version,
            metadata.and_then(|m| text(&m.version)),
        );
        append_opt(
            &mut self.prowler_version,
            metadata
                .and_then(|m| m.product.0.as_ref())
                .and_then(|p| text(&p.version)),
        );
        self.rows += 1;
        Ok(())
    }

    /// The buffered rows as a batch of [`schema::findings_schema`]; the builders are emptied.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        self.rows = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.finding_key.finish()),
            Arc::new(self.finding_uid.finish()),
            Arc::new(self.run_id.finish()),
            Arc::new(self.scan_id.finish()),
            Arc::new(self.scan_time.finish()),
            Arc::new(self.scan_date.finish()),
            Arc::new(self.week.finish()),
            Arc::new(self.provider.finish()),
            Arc::new(self.account_uid.finish()),
            Arc::new(self.account_name.finish()),
            Arc::new(self.org_uid.finish()),
            Arc::new(self.org_name.finish()),
            Arc::new(self.region.finish()),
            Arc::new(self.check_id.finish()),
            Arc::new(self.title.finish()),
            Arc::new(self.description.finish()),
            Arc::new(self.severity.finish()),
            Arc::new(self.severity_id.finish()),
            Arc::new(self.service.finish()),
            Arc::new(self.categories.finish()),
            Arc::new(self.check_types.finish()),
            Arc::new(self.status_code.finish()),
            Arc::new(self.muted.finish()),
            Arc::new(self.status_detail.finish()),
            Arc::new(self.resource_uid.finish()),
            Arc::new(self.resource_name.finish()),
            Arc::new(self.resource_type.finish()),
            self.resources.finish()?,
            Arc::new(self.compliance.finish()),
            Arc::new(self.risk_details.finish()),
            Arc::new(self.remediation.finish()),
            Arc::new(self.remediation_references.finish()),
            Arc::new(self.additional_urls.finish()),
            Arc::new(self.source_uri.finish()),
            Arc::new(self.source_offset.finish()),
            Arc::new(self.source_length.finish()),
            Arc::new(self.ocsf_version.finish()),
            Arc::new(self.prowler_version.finish()),
        ];
        RecordBatch::try_new(schema::findings_schema(), columns)
    }
}
