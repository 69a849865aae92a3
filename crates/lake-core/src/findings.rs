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

use crate::identity::{finding_key, finding_key_of, scan_time_with, ScanIdentity};
use crate::ocsf::{RawFinding, Text, TextList};
use crate::schema::{self, LIST_ELEMENT, MAP_ENTRIES, MAP_KEY, MAP_VALUE};
use crate::source::{
    normalize, ocsf_time, split_requirement, Format, Normalized, NotKept, PROWLER,
};

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
    #[error("not a finding class lake reads (class_uid {0})")]
    OtherClass(i64),
    /// A finding of another producer than the file's first finding.
    #[error("a finding of {finding} in a file of {file} (one producer per file)")]
    OtherProducer {
        /// The finding's producer.
        finding: String,
        /// The file's (its first finding's).
        file: String,
    },
    /// An object with neither `metadata` nor `finding_info`, nor an ASFF field.
    #[error("not an OCSF or ASFF finding (no metadata, finding_info or ASFF field)")]
    NotOcsf,
    /// A field every finding needs is missing or empty.
    #[error("required field `{0}` is missing or empty")]
    MissingField(&'static str),
    /// A `status_code` other than PASS, FAIL or MANUAL.
    #[error("status_code `{0}` is not PASS, FAIL or MANUAL")]
    InvalidStatus(String),
    /// An ASFF `Compliance.Status` other than PASSED, FAILED, WARNING or NOT_AVAILABLE.
    #[error("Compliance.Status `{0}` is not PASSED, FAILED, WARNING or NOT_AVAILABLE")]
    InvalidComplianceStatus(String),
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
    /// Findings not kept because they are no longer current (archived, closed, deleted).
    pub not_current: i64,
    /// Findings not kept because their check could not be evaluated (not available).
    pub not_evaluated: i64,
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
        self.not_current += other.not_current;
        self.not_evaluated += other.not_evaluated;
    }

    /// What was skipped, as warnings for the manifest (nothing when nothing was).
    pub fn skip_warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.not_current > 0 {
            out.push(format!(
                "{} findings not current (archived, closed or deleted records) not kept",
                self.not_current
            ));
        }
        if self.not_evaluated > 0 {
            out.push(format!(
                "{} findings whose check could not be evaluated (not available) not kept",
                self.not_evaluated
            ));
        }
        out
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

fn text<'r>(t: &'r Text<'_>) -> Option<&'r str> {
    t.non_empty()
}

/// The first finding's scan time, account, scan id and producer, for identity resolution.
pub fn first_finding_facts(
    raw: &RawFinding<'_>,
    n: &Normalized<'_>,
) -> Option<crate::identity::FirstFinding> {
    Some(crate::identity::FirstFinding {
        account: n.account.as_deref().unwrap_or_default().to_owned(),
        scan_time: n.time?,
        scan_id: raw
            .unmapped
            .0
            .as_ref()
            .and_then(|u| text(&u.scan_id))
            .map(str::to_owned),
        source: n.source.clone().into_owned(),
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
            return ocsf_time(raw);
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
                return ocsf_time(raw);
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
    source_product: StringBuilder,
    source_version: StringBuilder,
    account_labels: ListBuilder<StringBuilder>,
    org_unit_uid: StringBuilder,
    org_unit_name: StringBuilder,
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

/// Entries of the `compliance` map built from several fields (another producer's standards
/// and requirements): merged by framework, in first-seen order, each id once. A map's keys
/// must be unique for DuckDB and Spark to read it.
#[derive(Default)]
struct ComplianceEntries<'a> {
    entries: Vec<(&'a str, Vec<&'a str>)>,
}

impl<'a> ComplianceEntries<'a> {
    fn entry(&mut self, framework: &'a str) -> &mut Vec<&'a str> {
        let at = match self.entries.iter().position(|(f, _)| *f == framework) {
            Some(at) => at,
            None => {
                self.entries.push((framework, Vec::new()));
                self.entries.len() - 1
            }
        };
        &mut self.entries[at].1
    }

    fn add(&mut self, framework: &'a str, id: Option<&'a str>) {
        self.add_all(framework, id);
    }

    fn add_all(&mut self, framework: &'a str, ids: impl IntoIterator<Item = &'a str>) {
        let framework = framework.trim();
        if framework.is_empty() {
            return;
        }
        let list = self.entry(framework);
        for id in ids {
            if !id.is_empty() && !list.contains(&id) {
                list.push(id);
            }
        }
    }

    fn requirement(&mut self, r: &'a str) {
        let (framework, ids) = split_requirement(r);
        self.add_all(framework, ids);
    }

    fn append_to(self, b: &mut MapBuilder<StringBuilder, ListBuilder<StringBuilder>>) {
        for (framework, ids) in self.entries {
            b.keys().append_value(framework);
            let list = b.values();
            for id in ids {
                list.values().append_value(id);
            }
            list.append(true);
        }
    }
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

    fn append_ocsf(&mut self, raw: &RawFinding<'_>) -> Result<(), ArrowError> {
        let resources = match (&raw.resources, &raw.resource.0) {
            (Some(list), _) => list.as_slice(),
            (None, Some(one)) => std::slice::from_ref(one),
            (None, None) => &[],
        };
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
            for tag in r.tags.iter().flatten() {
                if let Some(k) = text(&tag.name) {
                    self.tags.keys().append_value(k);
                    append_opt(self.tags.values(), text(&tag.value));
                }
            }
            self.tags.append(true)?;
        }
        self.end_row(resources.len());
        Ok(())
    }

    fn append_asff(&mut self, raw: &RawFinding<'_>) -> Result<(), ArrowError> {
        let resources = raw.asff_resources.as_deref().unwrap_or_default();
        for r in resources {
            append_opt(&mut self.uid, text(&r.id));
            self.name.append_null();
            append_opt(&mut self.kind, text(&r.kind));
            append_opt(&mut self.region, text(&r.region));
            self.namespace.append_null();
            self.service.append_null();
            for (k, v) in &r.tags.0 {
                self.tags.keys().append_value(k);
                append_opt(self.tags.values(), v.as_deref());
            }
            self.tags.append(true)?;
        }
        self.end_row(resources.len());
        Ok(())
    }

    fn end_row(&mut self, resources: usize) {
        let last = self.offsets.last().copied().unwrap_or(0);
        let count = i32::try_from(resources).unwrap_or(i32::MAX);
        self.offsets.push(last.saturating_add(count));
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
            source_product: StringBuilder::new(),
            source_version: StringBuilder::new(),
            account_labels: string_list_builder(),
            org_unit_uid: StringBuilder::new(),
            org_unit_name: StringBuilder::new(),
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

    /// Reads `raw` as a finding of whichever producer wrote it (see [`crate::source`]):
    /// what is then appended with [`append`](Self::append), or why it is not a row.
    pub fn normalize<'r>(&mut self, raw: &'r RawFinding<'_>) -> Result<Normalized<'r>, NotKept> {
        let times = &mut self.times;
        normalize(raw, |r| times.time_of(r))
    }

    /// Appends one normalized finding, updating `counts`. On error nothing is appended.
    pub fn append(
        &mut self,
        raw: &RawFinding<'_>,
        row: &Normalized<'_>,
        ctx: RowContext<'_>,
        counts: &mut Counts,
    ) -> Result<(), RejectReason> {
        if row.source != ctx.identity.source {
            // One file, one producer: the scan's coverage is its producer's.
            return Err(RejectReason::OtherProducer {
                finding: row.source.clone().into_owned(),
                file: ctx.identity.source.clone(),
            });
        }
        self.push(raw, row, ctx)
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
        if !counts.providers.contains(row.provider.as_ref()) {
            counts.providers.insert(row.provider.clone().into_owned());
        }
        Ok(())
    }

    fn push(
        &mut self,
        raw: &RawFinding<'_>,
        row: &Normalized<'_>,
        ctx: RowContext<'_>,
    ) -> Result<(), ArrowError> {
        let id = ctx.identity;
        let account = row.account.as_deref().unwrap_or(&id.account);
        let scan_time = row.time.unwrap_or(id.scan_time);
        let prowler = row.source == PROWLER;
        let key = if prowler {
            finding_key(
                &row.provider,
                account,
                row.region,
                &row.check,
                row.resource_uid,
                row.uid,
            )
        } else {
            finding_key_of(
                &row.source,
                &row.provider,
                account,
                row.region,
                &row.check,
                row.resource_uid,
                row.uid,
            )
        };
        self.finding_key.append_value(key);
        self.finding_uid.append_value(row.uid);
        self.run_id.append_value(&id.run_id);
        let unmapped = raw.unmapped.0.as_ref();
        append_opt(&mut self.scan_id, unmapped.and_then(|u| text(&u.scan_id)));
        self.scan_time.append_value(scan_time.timestamp_micros());
        self.scan_date.append_value(
            (scan_time.date_naive()
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
        self.provider.append_value(&row.provider);
        self.account_uid.append_value(account);
        self.region.append_value(row.region);
        self.check_id.append_value(&row.check);
        self.severity.append_value(row.severity.name());
        self.severity_id.append_value(row.severity.id());
        append_opt(&mut self.service, row.service.as_deref());
        self.status_code.append_value(row.status);
        self.muted.append_value(row.muted);
        self.resource_uid.append_value(row.resource_uid);
        match row.format {
            Format::Ocsf => self.push_ocsf(raw, row)?,
            Format::Asff => self.push_asff(raw, row)?,
        }
        self.source_uri.append_value(ctx.source_uri);
        self.source_offset.append_value(ctx.offset as i64);
        self.source_length.append_value(ctx.len as i64);
        self.source_product.append_value(&row.source);
        append_opt(&mut self.source_version, row.source_version);
        self.rows += 1;
        Ok(())
    }

    /// The columns an OCSF finding fills its own way.
    fn push_ocsf(&mut self, raw: &RawFinding<'_>, row: &Normalized<'_>) -> Result<(), ArrowError> {
        let metadata = raw.metadata.0.as_ref();
        let info = raw.finding_info.0.as_ref();
        let unmapped = raw.unmapped.0.as_ref();
        let cloud = raw.cloud.0.as_ref();
        let account = cloud.and_then(|c| c.account.0.as_ref());
        let org = cloud.and_then(|c| c.org.0.as_ref());
        let first_resource = raw
            .resources
            .as_ref()
            .and_then(|r| r.first())
            .or(raw.resource.0.as_ref());
        let remediation = raw.remediation.0.as_ref();
        append_opt(&mut self.account_name, account.and_then(|a| text(&a.name)));
        append_opt(&mut self.org_uid, org.and_then(|o| text(&o.uid)));
        append_opt(&mut self.org_name, org.and_then(|o| text(&o.name)));
        match account {
            Some(a) => append_list(&mut self.account_labels, &a.labels),
            None => append_list(&mut self.account_labels, &TextList::default()),
        }
        append_opt(&mut self.org_unit_uid, org.and_then(|o| text(&o.ou_uid)));
        append_opt(&mut self.org_unit_name, org.and_then(|o| text(&o.ou_name)));
        append_opt(&mut self.title, info.and_then(|i| text(&i.title)));
        append_opt(&mut self.description, info.and_then(|i| text(&i.desc)));
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
        append_opt(
            &mut self.status_detail,
            text(&raw.status_detail).or_else(|| text(&raw.message)),
        );
        append_opt(
            &mut self.resource_name,
            first_resource.and_then(|r| text(&r.name)),
        );
        append_opt(
            &mut self.resource_type,
            first_resource.and_then(|r| text(&r.kind)),
        );
        self.resources.append_ocsf(raw)?;
        if row.source == PROWLER {
            // Prowler's frameworks: the keys of a JSON object, so unique.
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
        } else {
            // Another producer's standards, each with the control checked, and the
            // requirements the control maps to.
            let mut entries = ComplianceEntries::default();
            if let Some(u) = unmapped {
                for (framework, ids) in u.compliance.iter() {
                    entries.add_all(framework, ids.iter().map(|i| i.as_ref()));
                }
            }
            if let Some(c) = raw.compliance.0.as_ref() {
                for standard in &c.standards.0 {
                    entries.add(standard, Some(row.check.as_ref()));
                }
                for r in &c.requirements.0 {
                    entries.requirement(r);
                }
            }
            entries.append_to(&mut self.compliance);
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
        append_opt(
            &mut self.ocsf_version,
            metadata.and_then(|m| text(&m.version)),
        );
        append_opt(
            &mut self.prowler_version,
            (row.source == PROWLER)
                .then_some(row.source_version)
                .flatten(),
        );
        Ok(())
    }

    /// The columns an ASFF finding fills its own way.
    fn push_asff(&mut self, raw: &RawFinding<'_>, row: &Normalized<'_>) -> Result<(), ArrowError> {
        let fields = raw.asff_product_fields.0.as_ref();
        let resource = raw.asff_resources.as_ref().and_then(|r| r.first());
        let recommendation = raw
            .asff_remediation
            .0
            .as_ref()
            .and_then(|r| r.recommendation.0.as_ref());
        append_opt(&mut self.account_name, text(&raw.asff_account_name));
        self.org_uid.append_null();
        self.org_name.append_null();
        self.account_labels.append(false);
        self.org_unit_uid.append_null();
        self.org_unit_name.append_null();
        append_opt(&mut self.title, text(&raw.asff_title));
        append_opt(&mut self.description, text(&raw.asff_description));
        append_list(&mut self.categories, &TextList::default());
        append_list(&mut self.check_types, &raw.asff_types);
        // ASFF has no per-finding verdict text; its description says what the check wants.
        self.status_detail.append_null();
        append_opt(
            &mut self.resource_name,
            fields.and_then(|f| text(&f.prowler_resource_name)),
        );
        append_opt(
            &mut self.resource_type,
            resource.and_then(|r| text(&r.kind)),
        );
        self.resources.append_asff(raw)?;
        let mut entries = ComplianceEntries::default();
        if let Some(c) = raw.asff_compliance.0.as_ref() {
            let control = text(&c.security_control_id);
            for standard in c.associated_standards.iter().flatten() {
                if let Some(id) = text(&standard.standards_id) {
                    entries.add(id, control);
                }
            }
            for r in &c.related_requirements.0 {
                entries.requirement(r);
            }
        }
        entries.append_to(&mut self.compliance);
        self.compliance.append(true)?;
        self.risk_details.append_null();
        append_opt(
            &mut self.remediation,
            recommendation.and_then(|r| text(&r.text)),
        );
        let url = recommendation.and_then(|r| text(&r.url));
        self.remediation_references.values().extend(url.map(Some));
        self.remediation_references.append(true);
        append_list(&mut self.additional_urls, &TextList::default());
        self.ocsf_version.append_null();
        append_opt(
            &mut self.prowler_version,
            (row.source == PROWLER)
                .then_some(row.source_version)
                .flatten(),
        );
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
            Arc::new(self.source_product.finish()),
            Arc::new(self.source_version.finish()),
            Arc::new(self.account_labels.finish()),
            Arc::new(self.org_unit_uid.finish()),
            Arc::new(self.org_unit_name.finish()),
        ];
        RecordBatch::try_new(schema::findings_schema(), columns)
    }
}
